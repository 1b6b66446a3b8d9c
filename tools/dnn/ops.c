// SPDX-License-Identifier: GPL-2.0
/*
 * ops.c - dense float kernels.
 *
 * The matrix products keep a block of 4 x 24 (AVX2) or 4 x 8 (SSE2)
 * elements of C in vector registers while k runs (kern.h), over a block
 * of B sized for a 256 KiB last-level cache.  Each output element is updated as
 * c = c + a * b for k in increasing order, with separate rounding of
 * product and sum: blocking over rows, columns and k only changes the
 * order in which different output elements are computed, never the
 * order of one element's sum, so results do not depend on the block
 * sizes, the vector width (SSE2 or AVX2, chosen at run time) or the
 * addresses of the operands.
 */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "ops.h"

/* Floating-point operations of the matrix and convolution kernels. */
static uint64_t flop_count;

uint64_t ops_flops(void)
{
	return flop_count;
}

#define KISA sse2
#define KVW 4
#include "kern.h"
#undef KISA
#undef KVW

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_AVX2_KERNELS 1
#pragma GCC push_options
#pragma GCC target("avx2")
#define KISA avx2
#define KVW 8
#include "kern.h"
#undef KISA
#undef KVW
#pragma GCC pop_options
#endif

static enum ops_isa isa = OPS_ISA_AUTO;

static enum ops_isa detect(void)
{
#ifdef HAVE_AVX2_KERNELS
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		return OPS_ISA_AVX2;
#endif
	return OPS_ISA_SSE2;
}

int ops_set_isa(enum ops_isa want)
{
	if (want == OPS_ISA_AUTO) {
		isa = detect();
		return 0;
	}
	if (want == OPS_ISA_AVX2 && detect() != OPS_ISA_AVX2)
		return -1;
	isa = want;
	return 0;
}

enum ops_isa ops_get_isa(void)
{
	if (isa == OPS_ISA_AUTO)
		isa = detect();
	return isa;
}

const char *ops_isa_name(enum ops_isa i)
{
	switch (i) {
	case OPS_ISA_SSE2:
		return "sse2";
	case OPS_ISA_AVX2:
		return "avx2";
	default:
		return "auto";
	}
}

/*
 * Block sizes of the matrix products (kern.h): nc columns and kc rows of
 * B (nc * kc <= GEMM_BLOCK floats, 96 KiB), mc rows of a transposed A
 * copied at a time (mc * kc <= GEMM_APACK floats, 64 KiB).
 */
#define GEMM_NC 96
#define GEMM_BLOCK 24576
#define GEMM_KCMAX 512
#define GEMM_APACK 16384

/* C [+]= op(A) . B with a(i, k) = A[i * si + k * sk]. */
static void gemm_core(int M, int N, int K, const float *A, size_t si,
		      size_t sk, const float *B, int ldb, float *C, int ldc,
		      bool acc)
{
	int nc = N < GEMM_NC ? N : GEMM_NC, kc, mc = M;
	float *bp = NULL, *ap = NULL;

	if (M <= 0 || N <= 0)
		return;
	if (K <= 0) {
		if (!acc)
			for (int i = 0; i < M; i++)
				for (int j = 0; j < N; j++)
					C[(size_t)i * ldc + j] = 0.0f;
		return;
	}
	flop_count += 2ull * (uint64_t)M * (uint64_t)N * (uint64_t)K;
	kc = GEMM_BLOCK / nc;
	kc = kc > GEMM_KCMAX ? GEMM_KCMAX : kc < 32 ? 32 : kc;
	if (kc > K)
		kc = K;
	/* copy B's block when enough rows of A reuse it */
	if (M >= 16 && (size_t)K * N >= 4096)
		bp = dnn_falloc((size_t)kc * nc, DK_WS, DL_SHORT, false);
	if (si == 1 && sk > 1 && M >= 8) {
		mc = GEMM_APACK / kc;
		mc = mc < 4 ? 4 : mc - mc % 4;
		if (mc > M)
			mc = M;
		ap = dnn_falloc((size_t)mc * kc, DK_WS, DL_SHORT, false);
	}
#ifdef HAVE_AVX2_KERNELS
	if (ops_get_isa() == OPS_ISA_AVX2)
		gemm_core_avx2(M, N, K, A, si, sk, B, (size_t)ldb, C,
			       (size_t)ldc, acc, nc, kc, mc, bp, ap);
	else
#endif
		gemm_core_sse2(M, N, K, A, si, sk, B, (size_t)ldb, C,
			       (size_t)ldc, acc, nc, kc, mc, bp, ap);
	dnn_free(ap);
	dnn_free(bp);
}

void dw3x3_fwd(const float *x, int N, int H, int W, int C, int s,
	       const float *w, float *y)
{
	int Ho = (H - 1) / s + 1, Wo = (W - 1) / s + 1;

	flop_count += 18ull * (uint64_t)N * Ho * Wo * C;
#ifdef HAVE_AVX2_KERNELS
	if (ops_get_isa() == OPS_ISA_AVX2) {
		dw_fwd_avx2(x, N, H, W, C, s, w, y);
		return;
	}
#endif
	dw_fwd_sse2(x, N, H, W, C, s, w, y);
}

void dw3x3_bwd(const float *x, const float *dy, int N, int H, int W, int C,
	       int s, const float *w, float *dw, float *dx)
{
	int Ho = (H - 1) / s + 1, Wo = (W - 1) / s + 1;

	flop_count += (dx ? 36ull : 18ull) * (uint64_t)N * Ho * Wo * C;
#ifdef HAVE_AVX2_KERNELS
	if (ops_get_isa() == OPS_ISA_AVX2) {
		dw_bwd_avx2(x, dy, N, H, W, C, s, w, dw, dx);
		return;
	}
#endif
	dw_bwd_sse2(x, dy, N, H, W, C, s, w, dw, dx);
}

void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc)
{
	gemm_core(M, N, K, A, (size_t)lda, 1, B, ldb, C, ldc, acc);
}

void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc)
{
	gemm_core(M, N, K, A, 1, (size_t)lda, B, ldb, C, ldc, acc);
}

void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc)
{
	size_t mk = (size_t)M * K, mn = (size_t)M * N, nk = (size_t)N * K;
	float *bt, *at, *ct;

	if (mk + (acc ? 2 : 1) * mn >= nk) {
		bt = dnn_falloc(nk, DK_WS, DL_SHORT, false);
		transpose(N, K, B, ldb, bt, N);
		gemm_nn(M, N, K, A, lda, bt, N, C, ldc, acc);
		dnn_free(bt);
		return;
	}
	/*
	 * B is the largest operand (a weight matrix against a few rows):
	 * C^T = B . A^T transposes A and C instead, with the same sums.
	 */
	at = dnn_falloc(mk, DK_WS, DL_SHORT, false);
	ct = dnn_falloc(mn, DK_WS, DL_SHORT, false);
	transpose(M, K, A, lda, at, M);
	if (acc)
		transpose(M, N, C, ldc, ct, M);
	gemm_nn(N, M, K, B, ldb, at, M, ct, M, acc);
	transpose(N, M, ct, M, C, ldc);
	dnn_free(ct);
	dnn_free(at);
}

DNN_VEC
void transpose(int rows, int cols, const float *src, int lds, float *dst,
	       int ldd)
{
	enum { TB = 32 };

	for (int r0 = 0; r0 < rows; r0 += TB)
		for (int c0 = 0; c0 < cols; c0 += TB) {
			int r1 = rows - r0 < TB ? rows : r0 + TB;
			int c1 = cols - c0 < TB ? cols : c0 + TB;

			for (int r = r0; r < r1; r++)
				for (int c = c0; c < c1; c++)
					dst[(size_t)c * ldd + r] =
						src[(size_t)r * lds + c];
		}
}

DNN_VEC
void vec_add(float *restrict y, const float *restrict x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] += x[i];
}

DNN_VEC
void vec_add3(float *restrict y, const float *restrict a,
	      const float *restrict b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = a[i] + b[i];
}

DNN_VEC
void col_sum_acc(const float *x, int rows, int cols, float *out)
{
	for (int r = 0; r < rows; r++)
		vec_add(out, x + (size_t)r * cols, (size_t)cols);
}

DNN_VEC
void add_bias(float *y, int rows, int cols, const float *b)
{
	for (int r = 0; r < rows; r++)
		vec_add(y + (size_t)r * cols, b, (size_t)cols);
}
