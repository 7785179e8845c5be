#ifndef EMBER_SHIMS_H
#define EMBER_SHIMS_H

// Small C entry points for kernel and library interfaces that Swift cannot call directly:
// variadic functions and ioctl request numbers built by preprocessor macros. Each function
// returns 0 on success or a positive errno value, so Swift callers never read errno themselves.

#include <stdint.h>
#include <stddef.h>

#endif
