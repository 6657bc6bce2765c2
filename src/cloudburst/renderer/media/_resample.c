/*
 * cloudburst.renderer.media._resample: OpenCV's INTER_LINEAR resize of 8-bit planes, bit for bit, with
 * AVX2 where the CPU has it.
 *
 * Why it exists: every frame of a moving scene is one bilinear resize of the luma plane and one of the
 * interleaved chroma plane (see sampling.py and frames.py). On two vCPUs that resize shares the cores with
 * x264, and OpenCV's horizontal pass gathers its source samples one by one. Here a block of 16 outputs
 * takes its source bytes with two loads and one shuffle and weighs them with two multiply-adds, which makes
 * a 1080p frame in a quarter of the CPU time (0.7 ms against 3.1 ms at the zoom's scales, one core).
 *
 * Why bit for bit: the frames must not change. The sub-pixel cut reuses OpenCV's rounding pattern from frame
 * to frame, and x264 predicts it well; an exact resampler with other rounding grew the files by a quarter at
 * the same CRF (docs/render-speed.md). So this computes exactly what cv::resize computes for CV_8U and
 * INTER_LINEAR: the same float coordinates and 11-bit coefficients, the horizontal pass kept as
 * (s0*a0 + s1*a1) >> 4 in 16 bits, the vertical pass as ((b0*r0 >> 16) + (b1*r1 >> 16) + 2) >> 2, and a plain
 * copy when the size does not change. The tests compare it with the installed OpenCV on random regions,
 * scales and both channel counts. Scales of exactly 2 (which OpenCV turns into INTER_AREA) are the
 * caller's to avoid.
 *
 * Without AVX2 (another CPU, another architecture) SIMD is "" and the caller keeps OpenCV, whose own
 * vector code is then the faster of the two; the portable path here exists for edge blocks and tests.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define HAVE_AVX2_KERNEL 1
#include <immintrin.h>
#else
#define HAVE_AVX2_KERNEL 0
#endif

#define COEF_SCALE 2048 /* OpenCV's INTER_RESIZE_COEF_SCALE (11 bits) */
#define BLOCK 16        /* output values per vector step of the horizontal pass */

static int use_avx2 = 0;

/* What one resize needs besides the pixels: per output value its source offset and weights, per output row
 * its source row and weights, and the vector blocks' byte windows and shuffles. */
typedef struct {
    int32_t *xofs;    /* per output value: source byte offset in the row */
    int32_t *xnext;   /* per output value: offset of the second sample (the first, where its weight is 0) */
    int16_t *alpha;   /* per output value: (a0, a1), interleaved */
    int32_t *yofs;    /* per output row: first source row (may be -1 or past the end: clamped when read) */
    int16_t *beta;    /* per output row: (b0, b1) */
    int32_t *window;  /* per half block: byte offset of its 16-byte source window */
    uint8_t *shuffle; /* per block: 32 shuffle indices (two windows) */
    int16_t *lanes;   /* per block: its 16 (a0, a1) in the order of the vector pass's lanes */
    int blocks;       /* leading blocks the vector pass can do; the rest of the row is done one by one */
    int16_t *rows[2]; /* the two horizontally resampled source rows the current output row blends */
} Plan;

static inline int16_t coefficient(float weight) { return (int16_t)lrintf(weight * COEF_SCALE); }

/* cv::resize's coordinate arithmetic, in the same types (double, then float): src = (dst + 0.5)*scale - 0.5. */
static inline int source_position(int dst, double scale, float *fraction) {
    float position = (float)((dst + 0.5) * scale - 0.5);
    int whole = (int)floorf(position);
    *fraction = position - (float)whole;
    return whole;
}

static void plan_columns(Plan *plan, double scale, int src_w, int dst_w, int cn) {
    int row_bytes = src_w * cn;
    for (int dx = 0; dx < dst_w; dx++) {
        float fx;
        int sx = source_position(dx, scale, &fx);
        if (sx < 0) fx = 0.f, sx = 0;
        if (sx >= src_w - 1) fx = 0.f, sx = src_w - 1;
        int16_t a0 = coefficient(1.f - fx), a1 = coefficient(fx);
        for (int k = 0; k < cn; k++) {
            int i = dx * cn + k, first = sx * cn + k;
            plan->xofs[i] = first;
            plan->xnext[i] = first + cn < row_bytes ? first + cn : first;
            plan->alpha[2 * i] = a0;
            plan->alpha[2 * i + 1] = a1;
        }
    }
    /* Vector blocks, from the left, while each half block's samples lie within one 16-byte window inside
     * the row (true for any scale the renderer uses); at the row's right end the window ends with the row. */
    int values = dst_w * cn;
    plan->blocks = 0;
    for (int block = 0; block < values / BLOCK; block++) {
        for (int half = 0; half < 2; half++) {
            int first = block * BLOCK + half * 8, start = plan->xofs[first];
            if (start + 16 > row_bytes) start = row_bytes - 16;
            if (start < 0) return;
            for (int j = 0; j < 8; j++) {
                int lo = plan->xofs[first + j] - start, hi = plan->xnext[first + j] - start;
                if (hi > 15) return;
                plan->shuffle[32 * block + 16 * half + 2 * j] = (uint8_t)lo;
                plan->shuffle[32 * block + 16 * half + 2 * j + 1] = (uint8_t)hi;
                /* widened, lane 0 holds outputs 0-3 then 4-7 and lane 1 outputs 8-11 then 12-15 */
                int slot = 32 * block + (j < 4 ? 0 : 16) + 8 * half + 2 * (j % 4);
                plan->lanes[slot] = plan->alpha[2 * (first + j)];
                plan->lanes[slot + 1] = plan->alpha[2 * (first + j) + 1];
            }
            plan->window[2 * block + half] = start;
        }
        plan->blocks = block + 1;
    }
}

static void plan_rows(Plan *plan, double scale, int dst_h) {
    for (int dy = 0; dy < dst_h; dy++) {
        float fy;
        plan->yofs[dy] = source_position(dy, scale, &fy);
        plan->beta[2 * dy] = coefficient(1.f - fy);
        plan->beta[2 * dy + 1] = coefficient(fy);
    }
}

static void horizontal_scalar(const uint8_t *src, const Plan *plan, int from, int values, int16_t *out) {
    for (int i = from; i < values; i++)
        out[i] = (int16_t)((src[plan->xofs[i]] * plan->alpha[2 * i] + src[plan->xnext[i]] * plan->alpha[2 * i + 1]) >> 4);
}

static void vertical_scalar(const int16_t *r0, const int16_t *r1, int b0, int b1, int from, int values, uint8_t *out) {
    for (int x = from; x < values; x++)
        out[x] = (uint8_t)((((b0 * r0[x]) >> 16) + ((b1 * r1[x]) >> 16) + 2) >> 2);
}

#if HAVE_AVX2_KERNEL
__attribute__((target("avx2"))) static void horizontal_avx2(const uint8_t *src, const Plan *plan, int values, int16_t *out) {
    /* The plan's arrays in locals: the vector stores may alias anything, and would otherwise make the
     * compiler reload every pointer from the plan at each block. */
    const int32_t *window = plan->window;
    const uint8_t *shuffle = plan->shuffle;
    const int16_t *lanes = plan->lanes;
    const int blocks = plan->blocks;
    const __m256i zero = _mm256_setzero_si256();
    for (int block = 0; block < blocks; block++) {
        __m128i lo = _mm_loadu_si128((const __m128i *)(src + window[2 * block]));
        __m128i hi = _mm_loadu_si128((const __m128i *)(src + window[2 * block + 1]));
        __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
        /* 16 (s0, s1) byte pairs; widened, lane 0 holds outputs 0-3 | 4-7 and lane 1 outputs 8-11 | 12-15 */
        __m256i pairs = _mm256_shuffle_epi8(bytes, _mm256_loadu_si256((const __m256i *)(shuffle + 32 * block)));
        __m256i first = _mm256_unpacklo_epi8(pairs, zero), second = _mm256_unpackhi_epi8(pairs, zero);
        const __m256i *weights = (const __m256i *)(lanes + 32 * block);
        __m256i sum0 = _mm256_madd_epi16(first, _mm256_loadu_si256(weights));
        __m256i sum1 = _mm256_madd_epi16(second, _mm256_loadu_si256(weights + 1));
        __m256i packed = _mm256_packs_epi32(_mm256_srai_epi32(sum0, 4), _mm256_srai_epi32(sum1, 4));
        _mm256_storeu_si256((__m256i *)(out + BLOCK * block), packed);
    }
    horizontal_scalar(src, plan, BLOCK * blocks, values, out);
}

__attribute__((target("avx2"))) static void vertical_avx2(const int16_t *r0, const int16_t *r1, int b0, int b1, int values, uint8_t *out) {
    const __m256i w0 = _mm256_set1_epi16((short)b0), w1 = _mm256_set1_epi16((short)b1), two = _mm256_set1_epi16(2);
    int x = 0;
    for (; x + 32 <= values; x += 32) {
        __m256i s0 = _mm256_add_epi16(_mm256_mulhi_epi16(_mm256_loadu_si256((const __m256i *)(r0 + x)), w0),
                                      _mm256_mulhi_epi16(_mm256_loadu_si256((const __m256i *)(r1 + x)), w1));
        __m256i s1 = _mm256_add_epi16(_mm256_mulhi_epi16(_mm256_loadu_si256((const __m256i *)(r0 + x + 16)), w0),
                                      _mm256_mulhi_epi16(_mm256_loadu_si256((const __m256i *)(r1 + x + 16)), w1));
        s0 = _mm256_srai_epi16(_mm256_add_epi16(s0, two), 2);
        s1 = _mm256_srai_epi16(_mm256_add_epi16(s1, two), 2);
        _mm256_storeu_si256((__m256i *)(out + x), _mm256_permute4x64_epi64(_mm256_packus_epi16(s0, s1), 0xD8));
    }
    vertical_scalar(r0, r1, b0, b1, x, values, out);
}
#endif

static void horizontal(const uint8_t *src, const Plan *plan, int values, int simd, int16_t *out) {
#if HAVE_AVX2_KERNEL
    if (simd) {
        horizontal_avx2(src, plan, values, out);
        return;
    }
#endif
    (void)simd;
    horizontal_scalar(src, plan, 0, values, out);
}

static void vertical(const int16_t *r0, const int16_t *r1, int b0, int b1, int values, int simd, uint8_t *out) {
#if HAVE_AVX2_KERNEL
    if (simd) {
        vertical_avx2(r0, r1, b0, b1, values, out);
        return;
    }
#endif
    (void)simd;
    vertical_scalar(r0, r1, b0, b1, 0, values, out);
}

static inline int clamp_row(int row, int rows) { return row < 0 ? 0 : (row >= rows ? rows - 1 : row); }

/* Output row by output row: blend two horizontally resampled source rows, making each source row once. */
static void resize_rows(const uint8_t *src, Py_ssize_t src_stride, int src_h, uint8_t *dst, Py_ssize_t dst_stride,
                        int dst_h, int values, int simd, Plan *plan) {
    int made[2] = {-1, -1};
    for (int dy = 0; dy < dst_h; dy++) {
        int want0 = clamp_row(plan->yofs[dy], src_h), want1 = clamp_row(plan->yofs[dy] + 1, src_h);
        if (made[0] != want0 && made[1] == want0) { /* the previous second row is this one's first */
            int16_t *row = plan->rows[0];
            plan->rows[0] = plan->rows[1], plan->rows[1] = row;
            made[0] = want0, made[1] = -1;
        }
        if (made[0] != want0) {
            horizontal(src + want0 * src_stride, plan, values, simd, plan->rows[0]);
            made[0] = want0;
        }
        if (made[1] != want1) {
            if (want1 == want0)
                memcpy(plan->rows[1], plan->rows[0], (size_t)values * sizeof(int16_t));
            else
                horizontal(src + want1 * src_stride, plan, values, simd, plan->rows[1]);
            made[1] = want1;
        }
        vertical(plan->rows[0], plan->rows[1], plan->beta[2 * dy], plan->beta[2 * dy + 1], values, simd,
                 dst + dy * dst_stride);
    }
}

/* The (rows, samples, channels) of an 8-bit plane view: 2-D, or 3-D with interleaved channels; rows may be
 * any distance apart (a region of a larger plane), samples must be adjacent. */
static int plane_shape(const Py_buffer *view, const char *name, int *rows, int *samples, int *channels) {
    if (view->itemsize != 1 || view->format == NULL || strcmp(view->format, "B") != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a uint8 array", name);
        return -1;
    }
    if (view->ndim == 2 && view->strides[1] == 1) {
        *channels = 1;
    } else if (view->ndim == 3 && view->strides[2] == 1 && view->strides[1] == view->shape[2]) {
        *channels = (int)view->shape[2];
    } else {
        PyErr_Format(PyExc_ValueError, "%s must be a 2-D plane or a 3-D interleaved plane with adjacent samples", name);
        return -1;
    }
    if (view->shape[0] < 1 || view->shape[1] < 1 || view->shape[0] > INT_MAX / 4 || view->shape[1] > INT_MAX / 64 ||
        *channels < 1 || *channels > 4 || view->strides[0] < view->shape[1] * *channels) {
        PyErr_Format(PyExc_ValueError, "%s has an unsupported shape or row stride", name);
        return -1;
    }
    *rows = (int)view->shape[0];
    *samples = (int)view->shape[1];
    return 0;
}

static int resize_buffers(Py_buffer *src, Py_buffer *dst, double inv_scale_x, double inv_scale_y, int simd) {
    int src_h, src_w, cn, dst_h, dst_w, dst_cn;
    if (plane_shape(src, "src", &src_h, &src_w, &cn) < 0 || plane_shape(dst, "dst", &dst_h, &dst_w, &dst_cn) < 0)
        return -1;
    if (cn != dst_cn) {
        PyErr_SetString(PyExc_ValueError, "src and dst must have the same number of channels");
        return -1;
    }
    if (!(inv_scale_x > 0.0) || !(inv_scale_y > 0.0) || !isfinite(inv_scale_x) || !isfinite(inv_scale_y)) {
        PyErr_SetString(PyExc_ValueError, "scale factors must be positive and finite");
        return -1;
    }
    const uint8_t *from = (const uint8_t *)src->buf;
    uint8_t *to = (uint8_t *)dst->buf;
    int values = dst_w * cn;
    if (src_w == dst_w && src_h == dst_h) { /* cv::resize copies when the size does not change */
        Py_BEGIN_ALLOW_THREADS
        for (int y = 0; y < src_h; y++) memmove(to + y * dst->strides[0], from + y * src->strides[0], (size_t)values);
        Py_END_ALLOW_THREADS
        return 0;
    }
    int blocks = values / BLOCK;
    size_t bytes = (size_t)values * (2 * sizeof(int32_t) + 2 * sizeof(int16_t) + 2 * sizeof(int16_t)) +
                   (size_t)dst_h * (sizeof(int32_t) + 2 * sizeof(int16_t)) +
                   (size_t)blocks * (2 * sizeof(int32_t) + 32 + 32 * sizeof(int16_t));
    char *memory = malloc(bytes);
    if (memory == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Plan plan;
    char *next = memory;
#define TAKE(field, type, count) (plan.field = (type *)next, next += (size_t)(count) * sizeof(type))
    TAKE(xofs, int32_t, values);
    TAKE(xnext, int32_t, values);
    TAKE(window, int32_t, 2 * blocks);
    TAKE(yofs, int32_t, dst_h);
    TAKE(alpha, int16_t, 2 * values);
    TAKE(lanes, int16_t, 32 * blocks);
    TAKE(beta, int16_t, 2 * dst_h);
    TAKE(rows[0], int16_t, values);
    TAKE(rows[1], int16_t, values);
    TAKE(shuffle, uint8_t, 32 * blocks);
#undef TAKE
    Py_BEGIN_ALLOW_THREADS
    plan_columns(&plan, 1.0 / inv_scale_x, src_w, dst_w, cn);
    plan_rows(&plan, 1.0 / inv_scale_y, dst_h);
    resize_rows(from, src->strides[0], src_h, to, dst->strides[0], dst_h, values, simd, &plan);
    Py_END_ALLOW_THREADS
    free(memory);
    return 0;
}

static PyObject *resize(PyObject *module, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"src", "dst", "fx", "fy", "simd", NULL};
    PyObject *src_object, *dst_object;
    double fx, fy;
    int simd = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOdd|$p:resize", keywords, &src_object, &dst_object, &fx, &fy, &simd))
        return NULL;
    Py_buffer src, dst;
    if (PyObject_GetBuffer(src_object, &src, PyBUF_RECORDS_RO) < 0) return NULL;
    if (PyObject_GetBuffer(dst_object, &dst, PyBUF_RECORDS) < 0) {
        PyBuffer_Release(&src);
        return NULL;
    }
    int status = resize_buffers(&src, &dst, fx, fy, simd && use_avx2);
    PyBuffer_Release(&dst);
    PyBuffer_Release(&src);
    (void)module;
    if (status < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"resize", (PyCFunction)(void (*)(void))resize, METH_VARARGS | METH_KEYWORDS,
     "resize(src, dst, fx, fy, *, simd=True): cv2.resize(src, None, dst=dst, fx=fx, fy=fy, "
     "interpolation=cv2.INTER_LINEAR) for uint8 planes; dst's shape is the output size. Releases the GIL."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_resample", "OpenCV's INTER_LINEAR resize of 8-bit planes, with AVX2.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__resample(void) {
    PyObject *module = PyModule_Create(&module_definition);
    if (module == NULL) return NULL;
#if HAVE_AVX2_KERNEL
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2");
#endif
    if (PyModule_AddStringConstant(module, "SIMD", use_avx2 ? "avx2" : "") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
