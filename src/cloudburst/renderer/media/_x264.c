/*
 * libx264 inside the renderer's process: the moving-scene encoder without ffmpeg's raw-video pipe.
 *
 * Why: handed to ffmpeg, every 1080p frame (3.1 MB of NV12) crosses a pipe and is copied out of it by
 * ffmpeg's reader before x264 copies it once more into its own frame. Called here, x264 copies it straight
 * from the memory the frame was made in, and the only thing that leaves the process is the compressed
 * stream (a few kB per frame). The settings are the ones ffmpeg's libx264 wrapper gives x264 for our
 * options (preset, then the `x264_param_parse` pairs the caller passes, which mirror its command line),
 * so the stream is the same, byte for byte, apart from where the headers sit; the tests check that.
 *
 * One object drives one encoder. `encode` releases the GIL while x264 works (it returns once it has
 * copied the picture, so the caller may reuse the memory at once) and refuses to be entered twice.
 *
 * x264 reports why it refused or failed only in its log, which by default goes to stderr, outside the
 * renderer's JSON logs and apart from the render's error. Each encoder keeps the last error x264 logged
 * (x264 may log from its own threads, hence the lock) and puts it in the exception it raises.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <x264.h>

#define LOG_BYTES 512

typedef struct {
    PyObject_HEAD
    x264_t *encoder;
    int width;
    int height;
    int64_t next_pts;
    int busy;
    pthread_mutex_t log_lock;
    char last_error[LOG_BYTES]; /* x264's last logged error, without its newline; "" when none */
} Encoder;

/* x264's pf_log: called only for errors (i_log_level), from whichever thread met one. */
static void keep_error(void *private, int level, const char *format, va_list args) {
    Encoder *self = private;
    if (level > X264_LOG_ERROR) {
        return;
    }
    pthread_mutex_lock(&self->log_lock);
    vsnprintf(self->last_error, LOG_BYTES, format, args);
    self->last_error[strcspn(self->last_error, "\r\n")] = '\0';
    pthread_mutex_unlock(&self->log_lock);
}

/* Raises `type` with `what`, and x264's own reason where it logged one. */
static void raise_with_reason(Encoder *self, PyObject *type, const char *what) {
    char reason[LOG_BYTES];
    pthread_mutex_lock(&self->log_lock);
    memcpy(reason, self->last_error, LOG_BYTES);
    self->last_error[0] = '\0';
    pthread_mutex_unlock(&self->log_lock);
    if (reason[0] != '\0') {
        PyErr_Format(type, "%s: %s", what, reason);
    } else {
        PyErr_Format(type, "%s (x264 gave no reason)", what);
    }
}

static PyObject *Encoder_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    Encoder *self = (Encoder *)PyType_GenericNew(type, args, kwargs);
    if (self != NULL) {
        pthread_mutex_init(&self->log_lock, NULL);
    }
    return (PyObject *)self;
}

static int check_pairs(PyObject *options) {
    if (!PyList_Check(options)) {
        PyErr_SetString(PyExc_TypeError, "options must be a list of (name, value) string pairs");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(options); i++) {
        PyObject *pair = PyList_GET_ITEM(options, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(pair, 0)) ||
            !PyUnicode_Check(PyTuple_GET_ITEM(pair, 1))) {
            PyErr_SetString(PyExc_TypeError, "options must be a list of (name, value) string pairs");
            return -1;
        }
    }
    return 0;
}

static int apply_options(x264_param_t *param, PyObject *options) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(options); i++) {
        PyObject *pair = PyList_GET_ITEM(options, i);
        const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(pair, 0));
        const char *value = PyUnicode_AsUTF8(PyTuple_GET_ITEM(pair, 1));
        if (name == NULL || value == NULL) {
            return -1;
        }
        int status = x264_param_parse(param, name, value);
        if (status == X264_PARAM_BAD_NAME) {
            PyErr_Format(PyExc_ValueError, "x264 has no option '%s'", name);
            return -1;
        }
        if (status != 0) {
            PyErr_Format(PyExc_ValueError, "x264 refuses %s=%s", name, value);
            return -1;
        }
    }
    return 0;
}

static int Encoder_init(Encoder *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"width", "height", "fps", "preset", "options", NULL};
    int width, height, fps;
    const char *preset;
    PyObject *options;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iiisO", keywords, &width, &height, &fps, &preset, &options)) {
        return -1;
    }
    if (self->encoder != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the encoder is already open");
        return -1;
    }
    if (width < 2 || height < 2 || width % 2 || height % 2 || fps < 1) {
        PyErr_Format(PyExc_ValueError, "a %dx%d picture at %d fps cannot be encoded as 4:2:0", width, height, fps);
        return -1;
    }
    if (check_pairs(options) < 0) {
        return -1;
    }
    x264_param_t param;
    if (x264_param_default_preset(&param, preset, NULL) < 0) {
        PyErr_Format(PyExc_ValueError, "x264 has no preset '%s'", preset);
        return -1;
    }
    param.i_width = width;
    param.i_height = height;
    param.i_csp = X264_CSP_NV12;
    param.i_fps_num = (uint32_t)fps;
    param.i_fps_den = 1;
    param.i_timebase_num = 1;  /* one tick per frame, as ffmpeg's wrapper sets for a constant frame rate */
    param.i_timebase_den = (uint32_t)fps;
    param.i_log_level = X264_LOG_ERROR;
    param.pf_log = keep_error;
    param.p_log_private = self;
    param.b_annexb = 1;          /* start codes: the stream goes into MPEG-TS */
    param.b_repeat_headers = 1;  /* SPS/PPS in the stream, before every keyframe */
    if (apply_options(&param, options) < 0) {
        return -1;
    }
    x264_t *encoder;
    Py_BEGIN_ALLOW_THREADS
    encoder = x264_encoder_open(&param);
    Py_END_ALLOW_THREADS
    if (encoder == NULL) {
        raise_with_reason(self, PyExc_RuntimeError, "x264 refused the settings");
        return -1;
    }
    self->encoder = encoder;
    self->width = width;
    self->height = height;
    self->next_pts = 0;
    return 0;
}

static void close_encoder(Encoder *self) {
    if (self->encoder != NULL) {
        x264_t *encoder = self->encoder;
        self->encoder = NULL;
        Py_BEGIN_ALLOW_THREADS
        x264_encoder_close(encoder);  /* joins x264's threads */
        Py_END_ALLOW_THREADS
    }
}

static void Encoder_dealloc(Encoder *self) {
    close_encoder(self);
    pthread_mutex_destroy(&self->log_lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Claims the encoder for one call (the GIL is held here); NULL with an exception when it cannot. */
static x264_t *claim(Encoder *self) {
    if (self->encoder == NULL) {
        PyErr_SetString(PyExc_ValueError, "the encoder is closed");
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the encoder is in use by another thread");
        return NULL;
    }
    self->busy = 1;
    return self->encoder;
}

/* (stream bytes, pts, dts, keyframe) of what x264 returned, or None when it returned nothing yet. */
static PyObject *packet(Encoder *self, int size, x264_nal_t *nals, x264_picture_t *out) {
    if (size < 0) {
        raise_with_reason(self, PyExc_RuntimeError, "x264 failed to encode a frame");
        return NULL;
    }
    if (size == 0) {
        Py_RETURN_NONE;
    }
    /* With b_annexb the NAL payloads of one call are contiguous, starting at the first. */
    return Py_BuildValue("(y#LLO)", (const char *)nals[0].p_payload, (Py_ssize_t)size, (long long)out->i_pts,
                         (long long)out->i_dts, out->b_keyframe ? Py_True : Py_False);
}

static int plane(PyObject *source, Py_buffer *view, const char *name, Py_ssize_t rows, Py_ssize_t row_bytes,
                 int stride) {
    if (PyObject_GetBuffer(source, view, PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    /* x264 reads `rows` rows of `row_bytes`, `stride` apart: all of it must lie in the buffer. */
    Py_ssize_t needed = (rows - 1) * (Py_ssize_t)stride + row_bytes;
    if (view->len < needed) {
        PyErr_Format(PyExc_ValueError, "the %s plane has %zd bytes; %zd rows %d apart need %zd", name, view->len,
                     rows, stride, needed);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *Encoder_encode(Encoder *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"y", "uv", "stride", "idr", NULL};
    PyObject *y_source, *uv_source;
    int stride;
    int idr = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOi|$p", keywords, &y_source, &uv_source, &stride, &idr)) {
        return NULL;
    }
    if (stride < self->width) {
        PyErr_Format(PyExc_ValueError, "a stride of %d is narrower than the picture (%d)", stride, self->width);
        return NULL;
    }
    x264_t *encoder = claim(self);
    if (encoder == NULL) {
        return NULL;
    }
    Py_buffer y, uv;
    if (plane(y_source, &y, "luma", self->height, self->width, stride) < 0) {
        self->busy = 0;
        return NULL;
    }
    if (plane(uv_source, &uv, "chroma", self->height / 2, self->width, stride) < 0) {
        PyBuffer_Release(&y);
        self->busy = 0;
        return NULL;
    }
    x264_picture_t in, out;
    x264_picture_init(&in);
    in.img.i_csp = X264_CSP_NV12;
    in.img.i_plane = 2;
    in.img.i_stride[0] = stride;
    in.img.i_stride[1] = stride;
    in.img.plane[0] = (uint8_t *)y.buf;
    in.img.plane[1] = (uint8_t *)uv.buf;
    in.i_pts = self->next_pts;
    in.i_type = idr ? X264_TYPE_IDR : X264_TYPE_AUTO; /* as ffmpeg's wrapper does for a forced key frame */
    x264_nal_t *nals = NULL;
    int count = 0;
    int size;
    Py_BEGIN_ALLOW_THREADS
    size = x264_encoder_encode(encoder, &nals, &count, &in, &out);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&uv);
    PyBuffer_Release(&y);
    self->busy = 0;
    if (size >= 0) {
        self->next_pts++;
    }
    return packet(self, size, nals, &out);
}

static PyObject *Encoder_flush(Encoder *self, PyObject *Py_UNUSED(ignored)) {
    x264_t *encoder = claim(self);
    if (encoder == NULL) {
        return NULL;
    }
    x264_picture_t out;
    x264_nal_t *nals = NULL;
    int count = 0;
    int size = 0;
    Py_BEGIN_ALLOW_THREADS
    while (size == 0 && x264_encoder_delayed_frames(encoder) > 0) {
        size = x264_encoder_encode(encoder, &nals, &count, NULL, &out);
    }
    Py_END_ALLOW_THREADS
    self->busy = 0;
    return packet(self, size, nals, &out);
}

static PyObject *Encoder_close(Encoder *self, PyObject *Py_UNUSED(ignored)) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the encoder is in use by another thread");
        return NULL;
    }
    close_encoder(self);
    Py_RETURN_NONE;
}

static PyMethodDef Encoder_methods[] = {
    {"encode", (PyCFunction)(void (*)(void))Encoder_encode, METH_VARARGS | METH_KEYWORDS,
     "encode(y, uv, stride, *, idr=False) -> (bytes, pts, dts, keyframe) | None: one NV12 picture, planes "
     "`stride` bytes per row, an IDR picture if `idr`; the memory may be reused once this returns."},
    {"flush", (PyCFunction)Encoder_flush, METH_NOARGS,
     "flush() -> (bytes, pts, dts, keyframe) | None: the next delayed frame, None once there is none left."},
    {"close", (PyCFunction)Encoder_close, METH_NOARGS, "close() -> None: stop x264's threads and free it."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cloudburst.renderer.media._x264.Encoder",
    .tp_doc = "Encoder(width, height, fps, preset, options): libx264 for NV12 pictures, Annex B output.",
    .tp_basicsize = sizeof(Encoder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Encoder_new,
    .tp_init = (initproc)Encoder_init,
    .tp_dealloc = (destructor)Encoder_dealloc,
    .tp_methods = Encoder_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_x264", "libx264 in this process (see _x264.c).", -1, NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__x264(void) {
    if (PyType_Ready(&EncoderType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&EncoderType);
    if (PyModule_AddObject(m, "Encoder", (PyObject *)&EncoderType) < 0 ||
        PyModule_AddIntConstant(m, "BUILD", X264_BUILD) < 0) {
        Py_DECREF(&EncoderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
