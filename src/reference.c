#include "reference.h"

#include <stddef.h>

void reference_conv(const struct conv_layer *l, const float *in, const float *weights,
                    const float *bias, double *out)
{
    const int64_t N = l->batch, C = l->c_in, H = l->h_in, W = l->w_in;
    const int64_t K = l->c_out, P = l->h_out, Q = l->w_out;
    const int64_t R = l->kernel_h, S = l->kernel_w, G = l->groups;
    const int64_t C_g = C / G, K_g = K / G;
    /* in[N][C][H][W], weights[K][C/G][R][S], out[N][K][P][Q] */
    const float (*x)[C][H][W] = (const float (*)[C][H][W])in;
    const float (*w)[C_g][R][S] = (const float (*)[C_g][R][S])weights;
    double (*y)[K][P][Q] = (double (*)[K][P][Q])out;

    #pragma omp parallel for collapse(2) schedule(dynamic)
    for (int64_t n = 0; n < N; n++)
        for (int64_t k = 0; k < K; k++) {
            const int64_t g = k / K_g;
            for (int64_t p = 0; p < P; p++)
                for (int64_t q = 0; q < Q; q++) {
                    double sum = bias ? bias[k] : 0.0;
                    for (int64_t c = 0; c < C_g; c++)
                        for (int64_t r = 0; r < R; r++)
                            for (int64_t s = 0; s < S; s++) {
                                const int64_t h = p * l->stride_h - l->pad_h + r * l->dilation_h;
                                const int64_t v = q * l->stride_w - l->pad_w + s * l->dilation_w;
                                if (h >= 0 && h < H && v >= 0 && v < W)
                                    sum += (double)x[n][g * C_g + c][h][v] * w[k][c][r][s];
                            }
                    y[n][k][p][q] = sum;
                }
        }
}
