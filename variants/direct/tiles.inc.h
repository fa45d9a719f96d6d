/* Lists that expand F(a, b, c, P) for P = 1 .. N: the tile sizes each ISA
 * compiles. */
#ifndef CONVBENCH_DIRECT_TILES_INC_H
#define CONVBENCH_DIRECT_TILES_INC_H

#define DIRECT_PS_1(F, a, b, c) F(a, b, c, 1)
#define DIRECT_PS_2(F, a, b, c) DIRECT_PS_1(F, a, b, c) F(a, b, c, 2)
#define DIRECT_PS_3(F, a, b, c) DIRECT_PS_2(F, a, b, c) F(a, b, c, 3)
#define DIRECT_PS_4(F, a, b, c) DIRECT_PS_3(F, a, b, c) F(a, b, c, 4)
#define DIRECT_PS_5(F, a, b, c) DIRECT_PS_4(F, a, b, c) F(a, b, c, 5)
#define DIRECT_PS_6(F, a, b, c) DIRECT_PS_5(F, a, b, c) F(a, b, c, 6)
#define DIRECT_PS_7(F, a, b, c) DIRECT_PS_6(F, a, b, c) F(a, b, c, 7)
#define DIRECT_PS_8(F, a, b, c) DIRECT_PS_7(F, a, b, c) F(a, b, c, 8)
#define DIRECT_PS_9(F, a, b, c) DIRECT_PS_8(F, a, b, c) F(a, b, c, 9)
#define DIRECT_PS_10(F, a, b, c) DIRECT_PS_9(F, a, b, c) F(a, b, c, 10)
#define DIRECT_PS_11(F, a, b, c) DIRECT_PS_10(F, a, b, c) F(a, b, c, 11)
#define DIRECT_PS_12(F, a, b, c) DIRECT_PS_11(F, a, b, c) F(a, b, c, 12)
#define DIRECT_PS_13(F, a, b, c) DIRECT_PS_12(F, a, b, c) F(a, b, c, 13)
#define DIRECT_PS_14(F, a, b, c) DIRECT_PS_13(F, a, b, c) F(a, b, c, 14)
#define DIRECT_PS_EXPANDED(N, F, a, b, c) DIRECT_PS_##N(F, a, b, c)
#define DIRECT_PS(N, F, a, b, c) DIRECT_PS_EXPANDED(N, F, a, b, c)

/* The same for the even P from 2 to N (N even): tiles of two rows. */
#define DIRECT_EVEN_PS_2(F, a, b, c) F(a, b, c, 2)
#define DIRECT_EVEN_PS_4(F, a, b, c) DIRECT_EVEN_PS_2(F, a, b, c) F(a, b, c, 4)
#define DIRECT_EVEN_PS_6(F, a, b, c) DIRECT_EVEN_PS_4(F, a, b, c) F(a, b, c, 6)
#define DIRECT_EVEN_PS_8(F, a, b, c) DIRECT_EVEN_PS_6(F, a, b, c) F(a, b, c, 8)
#define DIRECT_EVEN_PS_10(F, a, b, c) DIRECT_EVEN_PS_8(F, a, b, c) F(a, b, c, 10)
#define DIRECT_EVEN_PS_12(F, a, b, c) DIRECT_EVEN_PS_10(F, a, b, c) F(a, b, c, 12)
#define DIRECT_EVEN_PS_14(F, a, b, c) DIRECT_EVEN_PS_12(F, a, b, c) F(a, b, c, 14)
#define DIRECT_EVEN_PS_EXPANDED(N, F, a, b, c) DIRECT_EVEN_PS_##N(F, a, b, c)
#define DIRECT_EVEN_PS(N, F, a, b, c) DIRECT_EVEN_PS_EXPANDED(N, F, a, b, c)

#endif
