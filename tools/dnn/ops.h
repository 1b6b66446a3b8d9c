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
#include <stdint.h>

/*
 * Element-wise loops (normalisation, activations, pooling, the
 * optimizer) are compiled twice, for AVX2 and for the baseline, and the
 * C library picks one at load time (an ifunc).  The compiler vectorises
 * them across independent elements only, never reassociating a sum, so
 * both give the same bits.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DNN_VEC __attribute__((target_clones("avx2", "default")))
#else
#define DNN_VEC
#endif

/* Vector width of the matrix kernels; AUTO: AVX2 when the CPU has it. */
enum ops_isa {
	OPS_ISA_AUTO,
	OPS_ISA_SSE2,
	OPS_ISA_AVX2,
};
/* 0, or -1 when the CPU cannot run the asked instruction set. */
int ops_set_isa(enum ops_isa isa);
/* The instruction set in use (never AUTO). */
enum ops_isa ops_get_isa(void);
const char *ops_isa_name(enum ops_isa isa);

/*
 * Floating-point operations done by the matrix and convolution kernels
 * since the program started: 2 per multiply-add of gemm_*, the
 * convolutions and the depthwise convolutions (element-wise layers,
 * normalisation and the optimizer are not counted).
 */
uint64_t ops_flops(void);

/* C (M x N) = [C +] A (M x K) . B (K x N). */
void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc);
/* C (M x N) = [C +] A^T . B with A stored K x M, B stored K x N. */
void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc);
/*
 * C (M x N) = [C +] A (M x K) . B^T with B stored N x K.  Transposes B
 * into a short-lived workspace first, or, when B is the larger, A and C
 * (C^T = B . A^T).
 */
void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B,
	     int ldb, float *C, int ldc, bool acc);

/*
 * Depthwise 3x3 convolution of x [N][H][W][C] with w [9][C], padding 1,
 * stride s, into y [N][Ho][Wo][C] (Ho = (H - 1) / s + 1).  The backward
 * pass adds the weights' gradient into dw and, when dx is not NULL, the
 * input's gradient into dx.
 */
void dw3x3_fwd(const float *x, int N, int H, int W, int C, int s,
	       const float *w, float *y);
void dw3x3_bwd(const float *x, const float *dy, int N, int H, int W, int C,
	       int s, const float *w, float *dw, float *dx);

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
