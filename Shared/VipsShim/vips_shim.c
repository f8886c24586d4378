#include "vips_shim.h"
#include <string.h>
#include <vips/vips.h>

int tt_vips_start(void) {
    if (VIPS_INIT("trusttrade")) return -1;
    // No operation cache: every upload is different; keep memory flat.
    vips_cache_set_max(0);
    return 0;
}

int tt_vips_header(const char *path, int *width, int *height) {
    VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!image) return -1;
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    g_object_unref(image);
    return 0;
}

int tt_vips_strip(const char *in, const char *out) {
    // Random access: turning a portrait photo (EXIF orientation 6 or 8) cannot stream top to bottom.
    VipsImage *image = vips_image_new_from_file(in, "access", VIPS_ACCESS_RANDOM, NULL);
    if (!image) return -1;
    // Turn the pixels the way the camera's orientation tag said, then drop the tags.
    VipsImage *rotated = NULL;
    if (vips_autorot(image, &rotated, NULL)) {
        g_object_unref(image);
        return -1;
    }
    g_object_unref(image);
    int result = vips_image_write_to_file(rotated, out, "strip", TRUE, NULL);
    g_object_unref(rotated);
    return result;
}

int tt_vips_webp_thumbnail(const char *path, int size, int q, void **buffer, size_t *length, int *width, int *height) {
    VipsImage *thumb = NULL;
    if (vips_thumbnail(path, &thumb, size, "height", size, "size", VIPS_SIZE_DOWN, NULL)) return -1;
    *width = vips_image_get_width(thumb);
    *height = vips_image_get_height(thumb);
    int result = vips_webpsave_buffer(thumb, buffer, length, "Q", q, "strip", TRUE, NULL);
    g_object_unref(thumb);
    return result;
}

void tt_vips_free(void *buffer) { g_free(buffer); }

int tt_vips_make_sample(const char *path, int width, int height) {
    VipsImage *xy = NULL, *x = NULL, *y = NULL, *noise = NULL, *r = NULL, *g = NULL, *b = NULL, *rgb = NULL, *u8 = NULL;
    int result = -1;
    if (vips_xyz(&xy, width, height, NULL)) goto done;
    if (vips_extract_band(xy, &x, 0, NULL) || vips_extract_band(xy, &y, 1, NULL)) goto done;
    if (vips_gaussnoise(&noise, width, height, "sigma", 12.0, "mean", 0.0, NULL)) goto done;
    if (vips_linear1(x, &r, 255.0 / width, 0, NULL) || vips_linear1(y, &g, 255.0 / height, 0, NULL)) goto done;
    if (vips_add(r, noise, &b, NULL)) goto done;
    VipsImage *bands[3] = {r, g, b};
    if (vips_bandjoin(bands, &rgb, 3, NULL) || vips_cast_uchar(rgb, &u8, NULL)) goto done;
    result = vips_image_write_to_file(u8, path, NULL);
done:
    VipsImage *all[] = {xy, x, y, noise, r, g, b, rgb, u8};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) if (all[i]) g_object_unref(all[i]);
    return result;
}

void tt_vips_error(char *out, size_t capacity) {
    const char *message = vips_error_buffer();
    if (capacity > 0) {
        strncpy(out, message ? message : "", capacity - 1);
        out[capacity - 1] = 0;
    }
    vips_error_clear();
}
