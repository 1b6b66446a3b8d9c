/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ops.h - dense float kernels of the training engine.
 *
 * Matrices are row-major with explicit leading dimensions.  Every kernel
 * adds the products for one output element in increasing k order, so
 * results do not depend on addresses or alignment: the same inputs give
 * the same bits with either allocator backend.
 */
#ifndef DNN_OPS_H
#define DNN_OPS_H

#include <stdbool.h>
#include <stddef.h>

/* C (M x N) = [C +] A (M x K) . B (K x N). */
void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc);
/* C (M x N) = [C +] A^T . B with A stored K x M, B stored K x N. */
void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc);
/*
 * C (M x N) = [C +] A (M x K) . B^T with B stored N x K.  Transposes B
 * into a short-lived workspace first.
 */
void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc);

/* dst (cols x rows, ldd) = src^T, src rows x cols with lds. */
void transpose(int rows, int cols, const float *src, int lds, float *dst,
	       int ldd);

/* y[i] += x[i] */
void vec_add(float *y, const float *x, size_t n);
/* y[i] = a[i] + b[i] */
void vec_add3(float *y, const float *a, const float *b, size_t n);
/* out[j] += sum over rows of x[r][j] (x rows x cols). */
void col_sum_acc(const float *x, int rows, int cols, float *out);
/* y[r][j] += b[j] */
void add_bias(float *y, int rows, int cols, const float *b);

#endif /* DNN_OPS_H */
