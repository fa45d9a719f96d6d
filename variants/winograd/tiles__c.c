/* Winograd's tile gathers and scatters in plain C, and the gather loop the
 * AVX2 one shares (with its strided copy as a hook). */
#include "winograd.h"

void winograd_gather_run_with(const struct conv_layer *l, const float *plane, int a, int m,
                              int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt,
                              int64_t (*copy)(const float *src, float *dst, int64_t u,
                                              int64_t u_end, int m))
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
        for (int j = 0; j < a; j++) {
            float *dst = d + (i * a + j) * nt;
            const int64_t u_lo = inside ? lo[j] : 0, u_hi = inside ? hi[j] : 0;
            int64_t u = 0;
            for (; u < u_lo; u++)
                dst[u] = 0.0f;
            const float *src = plane + ih * W + tw0 * m + j - l->pad_w;
            if (copy)
                u = copy(src, dst, u, u_hi, m);
            for (; u < u_hi; u++)
                dst[u] = src[u * m];
            for (; u < run; u++)
                dst[u] = 0.0f;
        }
    }
}

void winograd_gather_run__c(const struct conv_layer *l, const float *plane, int a, int m,
                            int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt)
{
    winograd_gather_run_with(l, plane, a, m, th, tw0, run, d, nt, NULL);
}

/* No vectors: the scatter loop writes every tile itself. */
int64_t winograd_interleave__c(const float *y, int64_t y_stride, float *dst, int64_t inside,
                               int m)
{
    (void)y, (void)y_stride, (void)dst, (void)inside, (void)m;
    return 0;
}
