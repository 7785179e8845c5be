// The declaration in CLibFuzzer.h is all this target provides; libFuzzer itself comes from compiler-rt.
