/* Winograd's tile gathers and scatters in plain C, and the gather loop
 * every ISA shares (each with its own row copy). */
#include "winograd.h"

void winograd_gather_run_with(const struct conv_layer *l, const float *plane, int a, int m,
                              int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt,
                              winograd_row_fn row)
{
    const int64_t W = l->w_in;
    /* tile tw0 + u reads column (tw0 + u) * m + j - pad_w: the tiles that
     * read inside the image, per kernel column */
    int64_t lo[MAX_ALPHA], hi[MAX_ALPHA];
    for (int j = 0; j < a; j++)
        layer_inside_range(tw0 * m + j - l->pad_w, m, W, run, &lo[j], &hi[j]);
    for (int i = 0; i < a; i++) {
        const int64_t ih = th * m - l->pad_h + i;
        const bool inside = ih >= 0 && ih < l->h_in;
        for (int j = 0; j < a; j++)
            row(plane + ih * W + tw0 * m + j - l->pad_w, d + (i * a + j) * nt,
                inside ? lo[j] : 0, inside ? hi[j] : 0, run, m);
    }
}

void winograd_row_from(const float *src, float *dst, int64_t u, int64_t hi, int64_t run, int m)
{
    for (; u < hi; u++)
        dst[u] = src[u * m];
    for (; u < run; u++)
        dst[u] = 0.0f;
}

static void row_c(const float *src, float *dst, int64_t lo, int64_t hi, int64_t run, int m)
{
    for (int64_t u = 0; u < lo; u++)
        dst[u] = 0.0f;
    winograd_row_from(src, dst, lo, hi, run, m);
}

void winograd_gather_run__c(const struct conv_layer *l, const float *plane, int a, int m,
                            int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt)
{
    winograd_gather_run_with(l, plane, a, m, th, tw0, run, d, nt, row_c);
}

/* No vectors: the scatter loop writes every tile itself. */
int64_t winograd_interleave__c(const float *y, int64_t y_stride, float *dst, int64_t inside,
                               int m)
{
    (void)y, (void)y_stride, (void)dst, (void)inside, (void)m;
    return 0;
}
