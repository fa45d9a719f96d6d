/* Winograd's generic transforms and small_k_m for one ISA, on GCC vectors
 * of LANES floats (that ISA's register width). Included by one
 * transforms__ISA.c each, with LANES, ISA (the name suffix) and ISA_TARGET
 * (the target attribute, or nothing) defined. Defines
 * winograd_input_transform__ISA, winograd_output_transform__ISA and
 * winograd_small_k_m__ISA. The coefficients are compile-time constants in
 * each instance, so the zero ones vanish. */
static const float bt_2x3[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const float at_2x3[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
static const float bt_4x3[6][6] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
static const float at_4x3[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1},
};

#define LANES_CAT2(name, isa) name##_##isa
#define LANES_CAT(name, isa) LANES_CAT2(name, isa)
#define ISA_NAME(name) LANES_CAT(name, ISA)
#define EXPORT_NAME(name) LANES_CAT(winograd_##name##_, ISA)

#define vec_t ISA_NAME(vec)
#define vec_unaligned_t ISA_NAME(vec_unaligned)
typedef float vec_t __attribute__((vector_size(LANES * sizeof(float))));
typedef float vec_unaligned_t
    __attribute__((vector_size(LANES * sizeof(float)), aligned(sizeof(float))));
#define load_vec(p) (*(const vec_unaligned_t *)(p))
#define store_vec(p, v) (*(vec_unaligned_t *)(p) = (v))

/* out[i][j] = sum_k left[i][k] * in[k][j] for an r x alpha left matrix. */
ISA_TARGET __attribute__((always_inline)) static inline void
ISA_NAME(left_multiply)(int r, int alpha, const float *restrict left, const float *restrict in,
                        int64_t in_stride, vec_t *restrict out)
{
    for (int j = 0; j < alpha; j++) {
        vec_t col[MAX_ALPHA];
        for (int k = 0; k < alpha; k++)
            col[k] = load_vec(in + (k * alpha + j) * in_stride);
        for (int i = 0; i < r; i++) {
            vec_t acc = {0};
            for (int k = 0; k < alpha; k++) {
                const float c = left[i * alpha + k];
                if (c != 0.0f)
                    acc += c * col[k];
            }
            out[i * alpha + j] = acc;
        }
    }
}

/* out[i][j] = bias + sum_k in[i][k] * right[j][k] for r rows and c columns;
 * element (i, j) goes to out + (i * c + j) * out_stride. */
ISA_TARGET __attribute__((always_inline)) static inline void
ISA_NAME(right_multiply)(int r, int c, int alpha, const float *restrict right,
                         const vec_t *restrict in, float *restrict out, int64_t out_stride,
                         float bias)
{
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) {
            vec_t acc = {0};
            acc += bias;
            for (int k = 0; k < alpha; k++) {
                const float coefficient = right[j * alpha + k];
                if (coefficient != 0.0f)
                    acc += coefficient * in[i * alpha + k];
            }
            store_vec(out + (i * c + j) * out_stride, acc);
        }
}

/* d: alpha x alpha elements, each a row of tiles `stride` apart (tile
 * innermost; n rounded up to WINO_LANES, the extra lanes are ignored);
 * out = B^T d B, tile element xi at out + xi * out_stride. Coefficients are
 * compile-time constants in each instance, so the zero ones vanish. */
ISA_TARGET __attribute__((always_inline)) static inline void
ISA_NAME(input_transform_alpha)(int alpha, const float *restrict bt, const float *restrict d,
                                float *restrict out, int64_t out_stride, int64_t n,
                                int64_t stride)
{
    for (int64_t x0 = 0; x0 < n; x0 += LANES) {
        vec_t tmp[MAX_ALPHA * MAX_ALPHA];
        ISA_NAME(left_multiply)(alpha, alpha, bt, d + x0, stride, tmp);
        ISA_NAME(right_multiply)(alpha, alpha, alpha, bt, tmp, out + x0, out_stride, 0.0f);
    }
}

/* mt: tile element xi at mt + xi * mt_stride; out (m x m elements, `stride`
 * apart) = A^T mt A + bias. */
ISA_TARGET __attribute__((always_inline)) static inline void
ISA_NAME(output_transform_alpha)(int m, int alpha, const float *restrict at,
                                 const float *restrict mt, int64_t mt_stride,
                                 float *restrict out, int64_t n, int64_t stride, float bias)
{
    for (int64_t x0 = 0; x0 < n; x0 += LANES) {
        vec_t tmp[MAX_ALPHA * MAX_ALPHA];
        ISA_NAME(left_multiply)(m, alpha, at, mt + x0, mt_stride, tmp);
        ISA_NAME(right_multiply)(m, m, alpha, at, tmp, out + x0, stride, bias);
    }
}

/* Instances with alpha a constant (4 for F(2x2,3x3), 6 for F(4x4,3x3)). */
ISA_TARGET void EXPORT_NAME(input_transform)(int alpha, const float *restrict d,
                                                 float *restrict out, int64_t out_stride,
                                                 int64_t n, int64_t stride)
{
    if (alpha == 4)
        ISA_NAME(input_transform_alpha)(4, &bt_2x3[0][0], d, out, out_stride, n, stride);
    else
        ISA_NAME(input_transform_alpha)(6, &bt_4x3[0][0], d, out, out_stride, n, stride);
}

ISA_TARGET void EXPORT_NAME(output_transform)(int m, const float *restrict mt,
                                                  int64_t mt_stride, float *restrict out,
                                                  int64_t n, int64_t stride, float bias)
{
    if (m == 2)
        ISA_NAME(output_transform_alpha)(2, 4, &at_2x3[0][0], mt, mt_stride, out, n, stride,
                                         bias);
    else
        ISA_NAME(output_transform_alpha)(4, 6, &at_4x3[0][0], mt, mt_stride, out, n, stride,
                                         bias);
}

/* mt[xi][t] = sum over ci of U[xi][co][ci] V[xi][ci][t] for the
 * WINO_SMALL_K_TILES tiles of a block (rows of V and mt that far apart),
 * c_in a constant in each instance. */
ISA_TARGET __attribute__((always_inline)) static inline void
ISA_NAME(small_k_m_c)(const float *restrict u_co, const float *restrict V, const int c_in,
                      int a2, float *restrict mt)
{
    enum { BLOCK = WINO_SMALL_K_TILES, VECTORS = BLOCK / LANES };
    for (int xi = 0; xi < a2; xi++) {
        const float *v = V + (int64_t)xi * c_in * BLOCK;
        vec_t acc[VECTORS];
        for (int q = 0; q < VECTORS; q++)
            acc[q] = u_co[xi * c_in] * load_vec(v + q * LANES);
        for (int ci = 1; ci < c_in; ci++)
            for (int q = 0; q < VECTORS; q++)
                acc[q] += u_co[xi * c_in + ci] * load_vec(v + ci * BLOCK + q * LANES);
        for (int q = 0; q < VECTORS; q++)
            store_vec(mt + xi * BLOCK + q * LANES, acc[q]);
    }
}

ISA_TARGET void EXPORT_NAME(small_k_m)(const float *restrict u_co, const float *restrict V,
                                           int64_t c_in, int a2, float *restrict mt)
{
    switch (c_in) {
    case 1: ISA_NAME(small_k_m_c)(u_co, V, 1, a2, mt); break;
    case 2: ISA_NAME(small_k_m_c)(u_co, V, 2, a2, mt); break;
    case 3: ISA_NAME(small_k_m_c)(u_co, V, 3, a2, mt); break;
    default: ISA_NAME(small_k_m_c)(u_co, V, WINO_SMALL_K, a2, mt); break;
    }
}

#undef load_vec
#undef store_vec
#undef vec_t
#undef vec_unaligned_t
#undef ISA_NAME
#undef EXPORT_NAME
#undef LANES_CAT
#undef LANES_CAT2
#undef LANES
#undef ISA
#undef ISA_TARGET
