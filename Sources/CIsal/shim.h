#include <stdint.h>
#include <isa-l/igzip_lib.h>

/* Returns the size of the level buffer igzip needs at compression level `level`, or 0 for
   level 0, which needs none. The library's size macros are expressions that Swift does not import. */
static inline uint32_t ember_igzip_level_buffer_size(int level) {
    switch (level) {
    case 1: return ISAL_DEF_LVL1_SMALL;
    case 2: return ISAL_DEF_LVL2_SMALL;
    case 3: return ISAL_DEF_LVL3_SMALL;
    default: return 0;
    }
}

/* Compresses `input` into one gzip member in one call. Returns igzip's status: COMP_OK, or
   STATELESS_OVERFLOW when the output needs more than `capacity` bytes. `*written` is the size
   of the member on COMP_OK. */
static inline int ember_igzip_gzip(struct isal_zstream *stream, int level, uint8_t *levelBuffer,
                                   uint32_t levelBufferSize, const uint8_t *input, uint32_t count,
                                   uint8_t *output, uint32_t capacity, uint32_t *written) {
    isal_deflate_stateless_init(stream);
    stream->gzip_flag = IGZIP_GZIP;
    stream->level = (uint32_t)level;
    stream->level_buf = levelBuffer;
    stream->level_buf_size = levelBufferSize;
    stream->end_of_stream = 1;
    stream->flush = NO_FLUSH;
    /* igzip reads the input without changing it, though its field is not const. */
    stream->next_in = (uint8_t *)input;
    stream->avail_in = count;
    stream->next_out = output;
    stream->avail_out = capacity;
    int status = isal_deflate_stateless(stream);
    *written = stream->total_out;
    return status;
}
