// libsensors initialisation for Swift. libsensors reports configuration parse errors through
// the global function pointer `sensors_parse_error_wfn`, which prints to stderr by default; this
// collects them for the caller instead. The caller serializes every libsensors call.

#include "CEmberShims.h"

#include <errno.h>
#include <sensors/error.h>
#include <sensors/sensors.h>
#include <stdio.h>
#include <string.h>

static char *ember_sensors_messages;
static size_t ember_sensors_messages_size;

static void ember_sensors_parse_error(const char *message, const char *file_name, int line) {
    size_t used = strlen(ember_sensors_messages);
    if (used + 1 >= ember_sensors_messages_size) {
        return;
    }
    const char *separator = used > 0 ? "; " : "";
    char *end = ember_sensors_messages + used;
    size_t left = ember_sensors_messages_size - used;
    // libsensors passes no file name for a configuration given as a FILE stream.
    if (file_name != NULL) {
        snprintf(end, left, "%s%s:%d: %s", separator, file_name, line, message);
    } else {
        snprintf(end, left, "%sline %d: %s", separator, line, message);
    }
}

int ember_sensors_init(FILE *config, char *messages, size_t size) {
    if (size == 0) {
        return EINVAL;
    }
    messages[0] = 0;
    ember_sensors_messages = messages;
    ember_sensors_messages_size = size;
    void (*saved)(const char *, const char *, int) = sensors_parse_error_wfn;
    sensors_parse_error_wfn = ember_sensors_parse_error;
    int result = sensors_init(config);
    sensors_parse_error_wfn = saved;
    ember_sensors_messages = NULL;
    return result < 0 ? -result : result;
}
