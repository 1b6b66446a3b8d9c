/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kern.h - template of the engine's matrix micro-kernels, included by
 * ops.c once per instruction set with
 *
 *   KISA  a name suffix (sse2, avx2)
 *   KVW   floats per vector register (4, 8)
 *
 * and, for AVX2, inside "#pragma GCC target".  The kernels compute
 * C += op(A) . B with a(i, k) = A[i * si + k * sk] on a block of 4 (or 1)
 * rows and 1-3 vectors of columns of C held in registers across the k
 * loop.  Every output element gets c = c + a(i, k) * b(k, j) for k in
 * increasing order, one rounding for the product and one for the sum
 * (ops.c is built with -ffp-contract=off and no FMA), exactly as a
 * scalar loop would: both instruction sets give the same bits.
 */

#define KCAT_(a, b) a##_##b
#define KCAT(a, b) KCAT_(a, b)
#define KV(name) KCAT(name, KISA)

typedef float KV(vf) __attribute__((vector_size(KVW * sizeof(float))));

static inline KV(vf) KV(ld)(const float *p)
{
	KV(vf) v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void KV(st)(float *p, KV(vf) v)
{
	memcpy(p, &v, sizeof(v));
}

/* A broadcast; written out, so that it is one shuffle (a loop is not). */
static inline KV(vf) KV(bc)(float x)
{
#if KVW == 4
	return (KV(vf)){ x, x, x, x };
#else
	return (KV(vf)){ x, x, x, x, x, x, x, x };
#endif
}

/*
 * Vectors per row of C in the main kernel: 4 x 3 with AVX2 (12
 * accumulators, three of B and a broadcast of A: the 16 registers);
 * 4 x 2 with SSE2, whose broadcast needs a scratch register.
 */
#if KVW == 8
#define KNV 3
#else
#define KNV 2
#endif

/*
 * R rows by V vectors of C, kn values of k.  a points at a(i, k0),
 * b at B[k0][j], c at C[i][j].  With zero, C starts from +0 instead of
 * its contents (the first block of k of a product that does not
 * accumulate): the same bits as clearing C first.
 */
#define KERN(R, V)							\
static void KV(k##R##x##V)(int kn, const float *restrict a, size_t si,	\
			   size_t sk, const float *restrict b,		\
			   size_t ldb, float *restrict c, size_t ldc,	\
			   int zero)					\
{									\
	KV(vf) acc[R][V];						\
									\
	_Pragma("GCC unroll 8")						\
	for (int r = 0; r < R; r++)					\
		_Pragma("GCC unroll 4")					\
		for (int v = 0; v < V; v++)				\
			acc[r][v] = zero ? KV(bc)(0.0f) :		\
				    KV(ld)(c + r * ldc + v * KVW);	\
	for (int k = 0; k < kn; k++) {					\
		KV(vf) bv[V];						\
									\
		_Pragma("GCC unroll 4")					\
		for (int v = 0; v < V; v++)				\
			bv[v] = KV(ld)(b + v * KVW);			\
		_Pragma("GCC unroll 8")					\
		for (int r = 0; r < R; r++) {				\
			KV(vf) av = KV(bc)(a[r * si]);			\
									\
			_Pragma("GCC unroll 4")				\
			for (int v = 0; v < V; v++)			\
				acc[r][v] = acc[r][v] + av * bv[v];	\
		}							\
		a += sk;						\
		b += ldb;						\
	}								\
	_Pragma("GCC unroll 8")						\
	for (int r = 0; r < R; r++)					\
		_Pragma("GCC unroll 4")					\
		for (int v = 0; v < V; v++)				\
			KV(st)(c + r * ldc + v * KVW, acc[r][v]);	\
}

KERN(4, 3)
KERN(4, 2)
KERN(4, 1)
KERN(1, 3)
KERN(1, 2)
KERN(1, 1)

#undef KERN

/* Columns j0 .. j1-1 (fewer than one vector) of rows i0 .. i1-1. */
static void KV(ktail)(int i0, int i1, int j0, int j1, int kn,
		      const float *a, size_t si, size_t sk, const float *b,
		      size_t ldb, float *c, size_t ldc, int zero)
{
	for (int i = i0; i < i1; i++)
		for (int j = j0; j < j1; j++) {
			const float *ai = a + (size_t)i * si;
			const float *bj = b + j;
			float s = zero ? 0.0f : c[(size_t)i * ldc + j];

			for (int k = 0; k < kn; k++)
				s = s + ai[(size_t)k * sk] * bj[(size_t)k * ldb];
			c[(size_t)i * ldc + j] = s;
		}
}

/*
 * Rows of C (4 or 1, R) times w columns through the kernels: b points at
 * B[k0][j] with rows ldb apart, c at C[i][j].
 */
#define STRIP(R)							\
static void KV(strip##R)(int kn, const float *a, size_t si, size_t sk,	\
			 const float *b, size_t ldb, float *c,		\
			 size_t ldc, int w, int z)			\
{									\
	int j = 0;							\
									\
	for (; KNV == 3 && j + 3 * KVW <= w; j += 3 * KVW)		\
		KV(k##R##x3)(kn, a, si, sk, b + j, ldb, c + j, ldc, z);	\
	for (; j + 2 * KVW <= w; j += 2 * KVW)				\
		KV(k##R##x2)(kn, a, si, sk, b + j, ldb, c + j, ldc, z);	\
	if (j + KVW <= w) {						\
		KV(k##R##x1)(kn, a, si, sk, b + j, ldb, c + j, ldc, z);	\
		j += KVW;						\
	}								\
	if (KHALF && j + 4 <= w) {					\
		KHALF_KERN(R)(kn, a, si, sk, b + j, ldb, c + j, ldc, z);	\
		j += 4;							\
	}								\
	if (j < w)							\
		KV(ktail)(0, R, j, w, kn, a, si, sk, b, ldb, c, ldc, z);	\
}

/*
 * Four columns left over: the 4-wide kernels of the SSE2 template (when
 * this is the AVX2 one), instead of scalar code.
 */
#if KVW == 8
#define KHALF 1
#define KHALF_KERN(R) k##R##x1_sse2
#else
#define KHALF 0
#define KHALF_KERN(R) KV(k##R##x1)
#endif

STRIP(4)
STRIP(1)

#undef KHALF
#undef KHALF_KERN

#undef STRIP

/*
 * C (M x N) [+]= op(A) . B, blocked (ops.c, gemm_blocks): a block of B of
 * kc rows by nc columns (at most 96 KiB, well inside the lab's 256 KiB
 * last-level cache) stays cached while every row of A and C passes by;
 * within it the kernels keep 4 x NR of C in registers (NR = KNV * KVW).
 *
 * bp (when not NULL, kc * nc floats): the block of B is first copied
 * into panels of NR columns, each kc x NR contiguous, so that its rows
 * do not compete for the same cache sets (a leading dimension of a
 * power of two maps the rows of a column to a few sets).  ap (when not
 * NULL, mc * kc floats; for A stored transposed, si == 1): the rows
 * i0 .. i0 + mc of op(A) are copied into strips of 4 rows, k-major,
 * read once per block instead of once per strip.
 */
static void KV(gemm_core)(int M, int N, int K, const float *A, size_t si,
			  size_t sk, const float *B, size_t ldb, float *C,
			  size_t ldc, int acc, int nc, int kc, int mc,
			  float *bp, float *ap)
{
	enum { NR = KNV * KVW };

	for (int j0 = 0; j0 < N; j0 += nc) {
		int w = N - j0 < nc ? N - j0 : nc;

		for (int k0 = 0; k0 < K; k0 += kc) {
			int kn = K - k0 < kc ? K - k0 : kc;
			int z = !acc && k0 == 0;
			const float *Bk = B + (size_t)k0 * ldb + j0;

			if (bp)
				for (int q = 0; q * NR < w; q++) {
					int wq = w - q * NR < NR ? w - q * NR : NR;
					float *dst = bp + (size_t)q * NR * kn;

					for (int k = 0; k < kn; k++)
						memcpy(dst + (size_t)k * wq,
						       Bk + (size_t)k * ldb + q * NR,
						       (size_t)wq * sizeof(float));
				}
			for (int i0 = 0; i0 < M; i0 += mc) {
				int m = M - i0 < mc ? M - i0 : mc, i = 0;
				const float *a0 = A + (size_t)i0 * si +
						  (size_t)k0 * sk;
				/* steps in the copy: a strip [k][4], a row [k] */
				size_t asi = ap ? 1 : si, ask = ap ? 4 : sk;
				size_t rsk = ap ? 1 : sk;

				if (ap) {
					/* strips of 4: [k][r]; then rows: [k] */
					for (int k = 0; k < kn; k++) {
						const float *src = a0 + (size_t)k * sk;
						int r = 0;

						for (; r + 4 <= m; r += 4)
							memcpy(ap + (size_t)r * kn + (size_t)k * 4,
							       src + r, 4 * sizeof(float));
						for (; r < m; r++)
							ap[(size_t)r * kn + k] = src[r];
					}
				}
				for (; i + 4 <= m; i += 4) {
					const float *a = ap ? ap + (size_t)i * kn :
						a0 + (size_t)i * si;
					float *c = C + (size_t)(i0 + i) * ldc + j0;

					if (!bp) {
						KV(strip4)(kn, a, asi, ask, Bk, ldb, c,
							   ldc, w, z);
						continue;
					}
					for (int q = 0; q * NR < w; q++) {
						int wq = w - q * NR < NR ? w - q * NR : NR;

						KV(strip4)(kn, a, asi, ask,
							   bp + (size_t)q * NR * kn,
							   (size_t)wq, c + q * NR, ldc,
							   wq, z);
					}
				}
				for (; i < m; i++) {
					const float *a = ap ? ap + (size_t)i * kn :
						a0 + (size_t)i * si;
					float *c = C + (size_t)(i0 + i) * ldc + j0;

					if (!bp) {
						KV(strip1)(kn, a, si, rsk, Bk, ldb, c,
							   ldc, w, z);
						continue;
					}
					for (int q = 0; q * NR < w; q++) {
						int wq = w - q * NR < NR ? w - q * NR : NR;

						KV(strip1)(kn, a, si, rsk,
							   bp + (size_t)q * NR * kn,
							   (size_t)wq, c + q * NR, ldc,
							   wq, z);
					}
				}
			}
		}
	}
}

/*
 * Depthwise 3x3 convolution, NHWC, padding 1, stride s: output pixel
 * (oy, ox) of channel c is the sum over the taps (ky, kx) in increasing
 * order of x[oy*s + ky - 1][ox*s + kx - 1][c] * w[ky*3 + kx][c], taps in
 * the padding left out; channels run in vectors.
 */
static void KV(dw_fwd)(const float *x, int N, int H, int W, int C, int s,
		       const float *w, float *y)
{
	int Ho = (H - 1) / s + 1, Wo = (W - 1) / s + 1;

	for (int n = 0; n < N; n++)
		for (int oy = 0; oy < Ho; oy++)
			for (int ox = 0; ox < Wo; ox++) {
				const float *tx[9], *tw[9];
				float *yo = y + (((size_t)n * Ho + oy) * Wo + ox) * C;
				int nt = 0, c = 0;

				for (int ky = 0; ky < 3; ky++) {
					int iy = oy * s + ky - 1;

					if (iy < 0 || iy >= H)
						continue;
					for (int kx = 0; kx < 3; kx++) {
						int ix = ox * s + kx - 1;

						if (ix < 0 || ix >= W)
							continue;
						tx[nt] = x + (((size_t)n * H + iy) * W + ix) * C;
						tw[nt++] = w + (size_t)(ky * 3 + kx) * C;
					}
				}
				for (; c + KVW <= C; c += KVW) {
					KV(vf) acc = KV(bc)(0.0f);

					for (int t = 0; t < nt; t++)
						acc = acc + KV(ld)(tx[t] + c) *
							    KV(ld)(tw[t] + c);
					KV(st)(yo + c, acc);
				}
				for (; c < C; c++) {
					float acc = 0.0f;

					for (int t = 0; t < nt; t++)
						acc = acc + tx[t][c] * tw[t][c];
					yo[c] = acc;
				}
			}
}

/*
 * Its backward pass: dw[tap][c] += x * dy and (dx not NULL) dx[in][c] +=
 * w * dy, output pixels in increasing order, taps in increasing order
 * within a pixel.
 */
static void KV(dw_bwd)(const float *x, const float *dy, int N, int H, int W,
		       int C, int s, const float *w, float *dw, float *dx)
{
	int Ho = (H - 1) / s + 1, Wo = (W - 1) / s + 1;

	for (int n = 0; n < N; n++)
		for (int oy = 0; oy < Ho; oy++)
			for (int ox = 0; ox < Wo; ox++) {
				const float *g = dy + (((size_t)n * Ho + oy) * Wo + ox) * C;

				for (int ky = 0; ky < 3; ky++) {
					int iy = oy * s + ky - 1;

					if (iy < 0 || iy >= H)
						continue;
					for (int kx = 0; kx < 3; kx++) {
						int ix = ox * s + kx - 1;
						size_t io, to;
						const float *xi, *wt;
						float *dwt;
						int c = 0;

						if (ix < 0 || ix >= W)
							continue;
						io = (((size_t)n * H + iy) * W + ix) * C;
						to = (size_t)(ky * 3 + kx) * C;
						xi = x + io;
						wt = w + to;
						dwt = dw + to;
						for (; c + KVW <= C; c += KVW) {
							KV(vf) gv = KV(ld)(g + c);

							KV(st)(dwt + c, KV(ld)(dwt + c) +
							       KV(ld)(xi + c) * gv);
							if (dx)
								KV(st)(dx + io + c,
								       KV(ld)(dx + io + c) +
								       KV(ld)(wt + c) * gv);
						}
						for (; c < C; c++) {
							dwt[c] = dwt[c] + xi[c] * g[c];
							if (dx)
								dx[io + c] = dx[io + c] +
									     wt[c] * g[c];
						}
					}
				}
			}
}

#undef KV
#undef KCAT
#undef KCAT_
#undef KNV
