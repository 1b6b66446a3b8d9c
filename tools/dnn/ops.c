// SPDX-License-Identifier: GPL-2.0
/*
 * ops.c - dense float kernels.
 *
 * The matrix products use an "axpy" formulation: a row of C is updated
 * with a scalar of A times a row of B, for k in increasing order.  The
 * inner loop is contiguous and has no reduction, so the compiler can
 * vectorise it without reassociating floating-point sums.  Blocking over
 * rows of C, columns and k only changes the order in which different
 * output elements are computed, never the order of one element's sum.
 */
#include <string.h>

#include "alloc.h"
#include "ops.h"

#define JB 512	/* columns of B per block */
#define KB 128	/* rows of B per block */

/* One row of C updated from one row of B, four rows of C at once. */
static void axpy4(int n, const float *restrict b, float a0, float a1,
		  float a2, float a3, float *restrict c0, float *restrict c1,
		  float *restrict c2, float *restrict c3)
{
	for (int j = 0; j < n; j++) {
		float bj = b[j];

		c0[j] += a0 * bj;
		c1[j] += a1 * bj;
		c2[j] += a2 * bj;
		c3[j] += a3 * bj;
	}
}

static void axpy1(int n, const float *restrict b, float a, float *restrict c)
{
	for (int j = 0; j < n; j++)
		c[j] += a * b[j];
}

/* C += op(A) . B with a(i, k) = A[i * si + k * sk]. */
static void gemm_core(int M, int N, int K, const float *A, size_t si,
		      size_t sk, const float *B, int ldb, float *C, int ldc)
{
	for (int j0 = 0; j0 < N; j0 += JB) {
		int nj = N - j0 < JB ? N - j0 : JB;

		for (int k0 = 0; k0 < K; k0 += KB) {
			int k1 = K - k0 < KB ? K : k0 + KB;
			int i = 0;

			for (; i + 4 <= M; i += 4) {
				float *c0 = C + (size_t)i * ldc + j0;
				float *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
				const float *a = A + (size_t)i * si;

				for (int k = k0; k < k1; k++) {
					const float *ak = a + (size_t)k * sk;

					axpy4(nj, B + (size_t)k * ldb + j0, ak[0],
					      ak[si], ak[2 * si], ak[3 * si],
					      c0, c1, c2, c3);
				}
			}
			for (; i < M; i++) {
				float *c = C + (size_t)i * ldc + j0;
				const float *a = A + (size_t)i * si;

				for (int k = k0; k < k1; k++)
					axpy1(nj, B + (size_t)k * ldb + j0,
					      a[(size_t)k * sk], c);
			}
		}
	}
}

static void zero_c(int M, int N, float *C, int ldc)
{
	for (int i = 0; i < M; i++)
		memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof(float));
}

void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc)
{
	if (!acc)
		zero_c(M, N, C, ldc);
	gemm_core(M, N, K, A, (size_t)lda, 1, B, ldb, C, ldc);
}

void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc)
{
	if (!acc)
		zero_c(M, N, C, ldc);
	gemm_core(M, N, K, A, 1, (size_t)lda, B, ldb, C, ldc);
}

void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc)
{
	float *bt = dnn_falloc((size_t)K * N, DK_WS, DL_SHORT, false);

	transpose(N, K, B, ldb, bt, N);
	gemm_nn(M, N, K, A, lda, bt, N, C, ldc, acc);
	dnn_free(bt);
}

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

void vec_add(float *restrict y, const float *restrict x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] += x[i];
}

void vec_add3(float *restrict y, const float *restrict a,
	      const float *restrict b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = a[i] + b[i];
}

void col_sum_acc(const float *x, int rows, int cols, float *out)
{
	for (int r = 0; r < rows; r++)
		vec_add(out, x + (size_t)r * cols, (size_t)cols);
}

void add_bias(float *y, int rows, int cols, const float *b)
{
	for (int r = 0; r < rows; r++)
		vec_add(y + (size_t)r * cols, b, (size_t)cols);
}
