#ifndef EMBER_CLIBFUZZER_H
#define EMBER_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, linked by `-sanitize=fuzzer` (compiler-rt's FuzzerDriver.cpp). It parses
/// libFuzzer's flags from argv and calls `callback` once per input; it returns only when the run ends.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
