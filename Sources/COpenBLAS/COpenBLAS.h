// The slice of OpenBLAS that MemVaultEmbedding uses: single-precision matrix products (cblas_sgemm) and the
// thread count. Only MemVaultEmbedding's Linear/BLAS.swift imports it.
#ifndef COPENBLAS_H
#define COPENBLAS_H

#include <cblas.h>

#endif
