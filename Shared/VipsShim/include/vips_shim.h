// Plain (non-variadic) functions over libvips for Swift, which cannot call
// C variadic functions such as vips_thumbnail(..., NULL).
#ifndef VIPS_SHIM_H
#define VIPS_SHIM_H
#include <stddef.h>

/// Starts libvips once per process (0 on success).
int tt_vips_start(void);

/// Reads only the header: width, height (0 on success).
int tt_vips_header(const char *path, int *width, int *height);

/// Writes a copy of the image at `in` without metadata (EXIF, GPS, XMP, ICC
/// kept out) to `out`, in the format `out`'s extension names (0 on success).
int tt_vips_strip(const char *in, const char *out);

/// A WebP of the image at `path` no wider or taller than `size` (never
/// enlarged), metadata stripped, quality `q`. `*buffer` is g_malloc'ed:
/// free it with tt_vips_free (0 on success).
int tt_vips_webp_thumbnail(const char *path, int size, int q, void **buffer, size_t *length, int *width, int *height);

void tt_vips_free(void *buffer);

/// A synthetic photo (colour gradients with noise) of the given size, saved
/// in the format `path`'s extension names; for tests and benchmarks.
int tt_vips_make_sample(const char *path, int width, int height);

/// The last libvips error message (cleared after reading into `out`).
void tt_vips_error(char *out, size_t capacity);

#endif
