#include "CEmberShims.h"
