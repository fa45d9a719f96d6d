#include "onnx.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "tensor.h"

/* ---- values: what the walk knows of each tensor ------------------------- */

#define MAX_RANK 8
/* integer and real contents are kept for tensors this small: the shape
 * arithmetic exporters emit (Shape -> Gather -> Concat -> Reshape) */
#define MAX_CONTENT 64

struct value {
    const char *name;
    bool defined;   /* an initializer, a graph input, or a node's output */
    bool known;     /* rank and dims hold its shape */
    int rank;
    int64_t dims[MAX_RANK];
    bool constant;  /* an initializer or Constant, possibly through Identity or Cast */
    bool has_ints, has_reals; /* contents, row-major, count = product of dims */
    int64_t ints[MAX_CONTENT];
    double reals[MAX_CONTENT];
    /* why the shape is unknown: the node where it was lost (-1: none) */
    ptrdiff_t lost_at;
    char why[160];
};

struct walk {
    const char *path;
    char *error;
    bool failed;
    const Onnx__GraphProto *graph;
    int64_t batch;
    int64_t opset; /* of the default domain */
    /* values by name: open addressing on FNV-1a */
    struct value *values;
    size_t value_count, slots;
    size_t *table; /* index + 1, 0 = empty */
    /* hints from value_info and graph outputs, by name */
    const Onnx__ValueInfoProto **hints;
    size_t hint_count;
    /* results */
    struct conv_layer *layers;
    size_t layer_count, layer_capacity;
    struct skipped_node *skipped;
    size_t skipped_count, skipped_capacity;
    char symbolic[64]; /* the name of the symbolic batch dimension, when one was seen */
};

static const char *text(const char *s)
{
    return s ? s : "";
}

static void node_label(const struct walk *w, size_t index, char *out, size_t size)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    if (text(n->name)[0])
        snprintf(out, size, "node '%.80s' (%.40s)", n->name, text(n->op_type));
    else
        snprintf(out, size, "node %zu (%.40s)", index, text(n->op_type));
}

__attribute__((format(printf, 3, 4))) static void fail(struct walk *w, ptrdiff_t node,
                                                       const char *format, ...)
{
    if (w->failed)
        return;
    w->failed = true;
    char message[600];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (node >= 0) {
        char label[160];
        node_label(w, (size_t)node, label, sizeof label);
        snprintf(w->error, CONFIG_ERROR_MAX, "%.300s: %s: %.500s", w->path, label, message);
    } else {
        snprintf(w->error, CONFIG_ERROR_MAX, "%.300s: %.600s", w->path, message);
    }
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

/* The value of that name, added (undefined, unknown) when absent. */
static struct value *lookup(struct walk *w, const char *name)
{
    size_t mask = w->slots - 1;
    for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        if (!w->table[i]) {
            struct value *v = &w->values[w->value_count];
            *v = (struct value){.name = name, .lost_at = -1};
            w->table[i] = ++w->value_count;
            return v;
        }
        struct value *v = &w->values[w->table[i] - 1];
        if (strcmp(v->name, name) == 0)
            return v;
    }
}

static int64_t element_count(const struct value *v)
{
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++)
        if (__builtin_mul_overflow(n, v->dims[i], &n))
            return -1;
    return n;
}

static void set_shape(struct value *v, int rank, const int64_t *dims)
{
    v->known = true;
    v->rank = rank;
    if (rank > 0)
        memcpy(v->dims, dims, (size_t)rank * sizeof *dims);
}

static void lose(struct value *v, ptrdiff_t node, const char *why)
{
    v->known = false;
    v->lost_at = node;
    snprintf(v->why, sizeof v->why, "%s", why);
}

/* ---- tensors ------------------------------------------------------------- */

/* A real as an integer, truncated; 0 for a NaN, saturated outside int64. */
static int64_t whole_of(double real)
{
    if (!(real == real))
        return 0;
    if (real >= 9.2e18)
        return INT64_MAX;
    if (real <= -9.2e18)
        return INT64_MIN;
    return (int64_t)real;
}

static bool integer_type(int32_t type)
{
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return true;
    default: return false;
    }
}

static size_t type_size(int32_t type)
{
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
    default: return 0;
    }
}

/* Element i of raw little-endian data of that type, as a double and an
 * integer. */
static void raw_element(const uint8_t *raw, int32_t type, size_t i, double *real, int64_t *integer)
{
    union {
        float f;
        double d;
        int64_t i64;
        uint64_t u64;
        int32_t i32;
        uint32_t u32;
        int16_t i16;
        uint16_t u16;
    } u;
    const size_t size = type_size(type);
    memcpy(&u, raw + i * size, size);
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *real = u.f; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: *real = u.d; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *integer = u.i64; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: *integer = (int64_t)u.u64; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *integer = u.i32; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: *integer = u.u32; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: *integer = u.i16; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: *integer = u.u16; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *integer = (int8_t)raw[i]; break;
    default: *integer = raw[i]; break;
    }
    if (integer_type(type) || type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
        type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64)
        *real = (double)*integer;
    else
        *integer = whole_of(*real);
}

/* A TensorProto's shape, and its contents when small; false (with a
 * message in why) when its dims or data are inconsistent. */
static bool tensor_value(const Onnx__TensorProto *t, struct value *v, char *why, size_t size)
{
    if (t->n_dims > MAX_RANK) {
        snprintf(why, size, "%zu dimensions (at most %d)", t->n_dims, MAX_RANK);
        return false;
    }
    for (size_t i = 0; i < t->n_dims; i++)
        if (t->dims[i] < 0) {
            snprintf(why, size, "dimension %zu is %" PRId64 ", negative", i, t->dims[i]);
            return false;
        }
    set_shape(v, (int)t->n_dims, t->dims);
    const int64_t count = element_count(v);
    if (count < 0) {
        snprintf(why, size, "its element count overflows 64 bits");
        return false;
    }
    v->constant = true;
    v->has_ints = v->has_reals = false;
    const int32_t type = t->has_data_type ? t->data_type : 0;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return true; /* the data is in another file: the shape is all that is read */
    /* the data must hold exactly count elements */
    size_t held = 0;
    const size_t element = type_size(type);
    if (t->has_raw_data) {
        if (element == 0 || t->raw_data.len % element) {
            snprintf(why, size, "raw_data of %zu bytes for elements of type %d", t->raw_data.len,
                     (int)type);
            return false;
        }
        held = t->raw_data.len / element;
    } else {
        /* one typed field holds the data (16-bit floats: one per int32) */
        const size_t fields[] = {t->n_float_data, t->n_int32_data, t->n_int64_data,
                                 t->n_double_data, t->n_uint64_data, t->n_string_data};
        int used = 0;
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
            if (fields[i]) {
                held = fields[i];
                used++;
            }
        if (used > 1) {
            snprintf(why, size, "its data is in %d fields at once", used);
            return false;
        }
    }
    if ((uint64_t)held != (uint64_t)count) {
        snprintf(why, size, "its data holds %zu elements, its dims %" PRId64, held, count);
        return false;
    }
    if (count > MAX_CONTENT)
        return true;
    bool integer = integer_type(type) || type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64;
    for (int64_t i = 0; i < count; i++) {
        double real = 0.0;
        int64_t whole = 0;
        if (t->has_raw_data)
            raw_element(t->raw_data.data, type, (size_t)i, &real, &whole);
        else if (t->n_int64_data)
            real = (double)(whole = t->int64_data[i]);
        else if (t->n_int32_data)
            real = (double)(whole = t->int32_data[i]);
        else if (t->n_uint64_data)
            real = (double)(whole = (int64_t)t->uint64_data[i]);
        else if (t->n_float_data)
            whole = whole_of(real = t->float_data[i]);
        else if (t->n_double_data)
            whole = whole_of(real = t->double_data[i]);
        else
            return true; /* strings */
        v->ints[i] = whole;
        v->reals[i] = real;
    }
    v->has_ints = integer;
    v->has_reals = !integer;
    return true;
}

/* ---- attributes ---------------------------------------------------------- */

static const Onnx__AttributeProto *attribute(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (strcmp(text(n->attribute[i]->name), name) == 0)
            return n->attribute[i];
    return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t fallback)
{
    const Onnx__AttributeProto *a = attribute(n, name);
    return a && a->has_i ? a->i : fallback;
}

/* ints attribute: count (or -1 when absent) */
static int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int most)
{
    const Onnx__AttributeProto *a = attribute(n, name);
    if (!a)
        return -1;
    int count = a->n_ints < (size_t)most ? (int)a->n_ints : most;
    if (count > 0)
        memcpy(out, a->ints, (size_t)count * sizeof *out);
    return (int)a->n_ints;
}

static const char *attr_string(const Onnx__NodeProto *n, const char *name, char *buffer,
                               size_t size)
{
    const Onnx__AttributeProto *a = attribute(n, name);
    if (!a || !a->has_s)
        return NULL;
    size_t length = a->s.len < size - 1 ? a->s.len : size - 1;
    memcpy(buffer, a->s.data, length);
    buffer[length] = '\0';
    return buffer;
}

/* ---- the walk: node inputs and outputs ------------------------------------ */

static const char *input_name(const Onnx__NodeProto *n, size_t i)
{
    return i < n->n_input ? text(n->input[i]) : "";
}

/* Input i of node index, or NULL when the node has no such input (or an
 * empty name, ONNX's "not given"). */
static struct value *input(struct walk *w, size_t index, size_t i)
{
    const char *name = input_name(w->graph->node[index], i);
    return name[0] ? lookup(w, name) : NULL;
}

static struct value *output(struct walk *w, size_t index, size_t i)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    if (i >= n->n_output || !text(n->output[i])[0])
        return NULL;
    return lookup(w, n->output[i]);
}

/* The shape of input i, or NULL after saying why not (when needed). */
static const struct value *known_input(struct walk *w, size_t index, size_t i)
{
    struct value *v = input(w, index, i);
    return v && v->known ? v : NULL;
}

/* Every output of the node loses its shape, for the reason given. */
static void lose_outputs(struct walk *w, size_t index, const char *why)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    for (size_t i = 0; i < n->n_output; i++) {
        struct value *o = output(w, index, i);
        if (o)
            lose(o, (ptrdiff_t)index, why);
    }
}

/* The first input whose shape is unknown passes its loss on. */
static bool inputs_known(struct walk *w, size_t index, size_t first, size_t last)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    for (size_t i = first; i < n->n_input && i <= last; i++) {
        struct value *v = input(w, index, i);
        if (v && !v->known) {
            for (size_t o = 0; o < n->n_output; o++) {
                struct value *out = output(w, index, o);
                if (out) {
                    out->known = false;
                    out->lost_at = v->lost_at;
                    snprintf(out->why, sizeof out->why, "%s", v->why);
                }
            }
            return false;
        }
    }
    return true;
}

static int normalize_axis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= rank)
        return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}

/* numpy broadcasting of a and b into out; false when they do not broadcast */
static bool broadcast(const struct value *a, const struct value *b, struct value *out)
{
    int rank = a->rank > b->rank ? a->rank : b->rank;
    int64_t dims[MAX_RANK];
    for (int i = 0; i < rank; i++) {
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        dims[i] = da == 1 ? db : da;
    }
    set_shape(out, rank, dims);
    return true;
}

/* ---- layers ---------------------------------------------------------------- */

/* A layer name from a node name: letters, digits, '_', '-' and '.', as
 * an INI section allows; '/' (as exporters separate scopes) becomes '.';
 * the end kept when too long; unique within the model. */
static void layer_name(struct walk *w, size_t index, char out[LAYER_NAME_MAX + 1])
{
    const Onnx__NodeProto *n = w->graph->node[index];
    char raw[256];
    if (text(n->name)[0])
        snprintf(raw, sizeof raw, "%s", n->name);
    else
        snprintf(raw, sizeof raw, "%s_%zu", text(n->op_type), index);
    char clean[256];
    size_t length = 0;
    for (const char *p = raw; *p && length < sizeof clean - 1; p++) {
        char c = *p;
        if (c == '/')
            c = '.';
        else if (!layer_name_char(c))
            c = '_';
        if (length == 0 && c == '.')
            continue; /* a leading scope separator */
        clean[length++] = c;
    }
    clean[length] = '\0';
    if (!length)
        snprintf(clean, sizeof clean, "%s_%zu", "node", index);
    const char *start = strlen(clean) > LAYER_NAME_MAX - 4 ? clean + strlen(clean) -
                                                                 (LAYER_NAME_MAX - 4)
                                                           : clean;
    while (*start == '.' && start[1])
        start++;
    const size_t kept = strlen(start) < LAYER_NAME_MAX - 4 ? strlen(start) : LAYER_NAME_MAX - 4;
    memcpy(out, start, kept);
    out[kept] = '\0';
    /* unique: a suffix _2, _3, ... */
    for (int suffix = 2; suffix < 1000000; suffix++) {
        bool taken = false;
        for (size_t i = 0; i < w->layer_count && !taken; i++)
            taken = strcmp(w->layers[i].name, out) == 0;
        for (size_t i = 0; i < w->skipped_count && !taken; i++)
            taken = strcmp(w->skipped[i].name, out) == 0;
        if (!taken)
            return;
        char number[16];
        snprintf(number, sizeof number, "_%d", suffix);
        const size_t room = LAYER_NAME_MAX - strlen(number);
        const size_t stem = kept < room ? kept : room;
        memcpy(out, start, stem);
        memcpy(out + stem, number, strlen(number) + 1);
    }
}

static void skip_node(struct walk *w, size_t index, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void skip_node(struct walk *w, size_t index, const char *format, ...)
{
    struct skipped_node *grown = array_grow(w->skipped, &w->skipped_capacity, w->skipped_count,
                                            sizeof *grown, 8);
    if (!grown) {
        fail(w, -1, "out of memory");
        return;
    }
    w->skipped = grown;
    struct skipped_node *s = &w->skipped[w->skipped_count];
    layer_name(w, index, s->name);
    snprintf(s->op, sizeof s->op, "%s", text(w->graph->node[index]->op_type));
    va_list args;
    va_start(args, format);
    vsnprintf(s->reason, sizeof s->reason, format, args);
    va_end(args);
    w->skipped_count++;
}

static bool same_layer(const struct conv_layer *a, const struct conv_layer *b)
{
    return a->batch == b->batch && a->c_in == b->c_in && a->h_in == b->h_in &&
           a->w_in == b->w_in && a->c_out == b->c_out && a->kernel_h == b->kernel_h &&
           a->kernel_w == b->kernel_w && a->stride_h == b->stride_h &&
           a->stride_w == b->stride_w && a->pad_h == b->pad_h && a->pad_w == b->pad_w &&
           a->pad_bottom == b->pad_bottom && a->pad_right == b->pad_right &&
           a->dilation_h == b->dilation_h && a->dilation_w == b->dilation_w &&
           a->groups == b->groups && a->bias == b->bias;
}

/* Adds the layer (checked) or counts it once more where an identical one
 * exists: identical layers are timed once, with repeat = their count. */
static void add_layer(struct walk *w, size_t index, struct conv_layer *l)
{
    const int64_t extents[] = {l->batch,    l->c_in,     l->h_in,       l->w_in,
                               l->c_out,    l->kernel_h, l->kernel_w,   l->stride_h,
                               l->stride_w, l->pad_h,    l->pad_w,      l->pad_bottom,
                               l->pad_right, l->dilation_h, l->dilation_w, l->groups};
    for (size_t i = 0; i < sizeof extents / sizeof *extents; i++)
        if (extents[i] > LAYER_MAX_EXTENT) {
            fail(w, (ptrdiff_t)index, "a size of %" PRId64 " is above convbench's limit of 2^24",
                 extents[i]);
            return;
        }
    l->repeat = 1;
    const char *why = layer_derive(l);
    if (why) {
        fail(w, (ptrdiff_t)index, "as a layer: %s", why);
        return;
    }
    for (size_t i = 0; i < w->layer_count; i++)
        if (same_layer(&w->layers[i], l)) {
            struct conv_layer *same = &w->layers[i];
            same->repeat++;
            if ((why = layer_derive(same)) != NULL)
                fail(w, (ptrdiff_t)index, "as a layer: %s", why);
            return;
        }
    struct conv_layer *grown =
        array_grow(w->layers, &w->layer_capacity, w->layer_count, sizeof *grown, 16);
    if (!grown) {
        fail(w, -1, "out of memory");
        return;
    }
    w->layers = grown;
    layer_name(w, index, l->name);
    w->layers[w->layer_count++] = *l;
}

/* Says why a conv or product cannot be measured for want of its input's
 * shape: where the shape was lost. */
static void fail_unknown(struct walk *w, size_t index, const struct value *v)
{
    if (!v) {
        fail(w, (ptrdiff_t)index, "an input it needs is not given");
        return;
    }
    if (v->lost_at >= 0 && (size_t)v->lost_at != index) {
        char label[160];
        node_label(w, (size_t)v->lost_at, label, sizeof label);
        fail(w, (ptrdiff_t)index, "the shape of its input '%.100s' is unknown: %s, at %s",
             v->name, v->why, label);
    } else {
        fail(w, (ptrdiff_t)index, "the shape of its input '%.100s' is unknown: %s", v->name,
             v->why[0] ? v->why : "no node produces it");
    }
}

/* ---- convolutions and pools: the spatial arithmetic ------------------------ */

struct window {
    int spatial;
    int64_t kernel[MAX_RANK], stride[MAX_RANK], dilation[MAX_RANK];
    int64_t begin[MAX_RANK], end[MAX_RANK];
};

/* Reads strides, dilations, pads and auto_pad for a window of the given
 * kernel over input x (N, C, spatial...), and works out the output's
 * spatial extents. false after failing the walk. (Long: one block per
 * attribute, each with its own message.) */
static bool window_of(struct walk *w, size_t index, const struct value *x, struct window *win,
                      bool ceil_mode, int64_t *out_dims)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    const int s = win->spatial;
    int64_t values[2 * MAX_RANK];
    for (int i = 0; i < s; i++) {
        win->stride[i] = win->dilation[i] = 1;
        win->begin[i] = win->end[i] = 0;
    }
    int count = attr_ints(n, "strides", values, MAX_RANK);
    if (count >= 0 && count != s) {
        fail(w, (ptrdiff_t)index, "strides has %d values for %d spatial axes", count, s);
        return false;
    }
    for (int i = 0; i < count; i++)
        win->stride[i] = values[i];
    count = attr_ints(n, "dilations", values, MAX_RANK);
    if (count >= 0 && count != s) {
        fail(w, (ptrdiff_t)index, "dilations has %d values for %d spatial axes", count, s);
        return false;
    }
    for (int i = 0; i < count; i++)
        win->dilation[i] = values[i];
    count = attr_ints(n, "pads", values, 2 * MAX_RANK);
    if (count >= 0 && count != 2 * s) {
        fail(w, (ptrdiff_t)index, "pads has %d values for %d spatial axes (begins, then ends)",
             count, s);
        return false;
    }
    for (int i = 0; i < count / 2; i++) {
        win->begin[i] = values[i];
        win->end[i] = values[i + s];
    }
    for (int i = 0; i < s; i++) {
        if (win->stride[i] < 1 || win->dilation[i] < 1 || win->kernel[i] < 1 ||
            win->begin[i] < 0 || win->end[i] < 0 || win->kernel[i] > LAYER_MAX_EXTENT ||
            win->stride[i] > LAYER_MAX_EXTENT || win->dilation[i] > LAYER_MAX_EXTENT ||
            win->begin[i] > LAYER_MAX_EXTENT || win->end[i] > LAYER_MAX_EXTENT) {
            fail(w, (ptrdiff_t)index,
                 "axis %d: kernel %" PRId64 ", stride %" PRId64 ", dilation %" PRId64
                 ", pads %" PRId64 " and %" PRId64 ": each must be positive (pads at least 0) "
                 "and at most 2^24",
                 i, win->kernel[i], win->stride[i], win->dilation[i], win->begin[i], win->end[i]);
            return false;
        }
    }
    char mode[32] = "NOTSET";
    attr_string(n, "auto_pad", mode, sizeof mode);
    const bool upper = strcmp(mode, "SAME_UPPER") == 0, lower = strcmp(mode, "SAME_LOWER") == 0;
    if (!upper && !lower && strcmp(mode, "VALID") != 0 && strcmp(mode, "NOTSET") != 0 &&
        mode[0]) {
        fail(w, (ptrdiff_t)index, "auto_pad = '%s' (NOTSET, VALID, SAME_UPPER or SAME_LOWER)",
             mode);
        return false;
    }
    for (int i = 0; i < s; i++) {
        const int64_t in = x->dims[2 + i];
        if (in > LAYER_MAX_EXTENT) {
            fail(w, (ptrdiff_t)index, "spatial size %" PRId64 " is above 2^24", in);
            return false;
        }
        const int64_t span = win->dilation[i] * (win->kernel[i] - 1) + 1;
        if (upper || lower) {
            /* as many outputs as ceil(in / stride), the padding split with
             * the odd one after (UPPER) or before (LOWER) */
            const int64_t outs = (in + win->stride[i] - 1) / win->stride[i];
            int64_t total = (outs - 1) * win->stride[i] + span - in;
            if (total < 0)
                total = 0;
            win->begin[i] = upper ? total / 2 : total - total / 2;
            win->end[i] = total - win->begin[i];
        } else if (strcmp(mode, "VALID") == 0) {
            win->begin[i] = win->end[i] = 0;
        }
        const int64_t room = in + win->begin[i] + win->end[i] - span;
        if (room < 0) {
            fail(w, (ptrdiff_t)index,
                 "the window of %" PRId64 " (kernel %" PRId64 ", dilation %" PRId64
                 ") does not fit axis %d of %" PRId64 " padded by %" PRId64 " and %" PRId64,
                 span, win->kernel[i], win->dilation[i], i, in, win->begin[i], win->end[i]);
            return false;
        }
        int64_t outs = (ceil_mode ? (room + win->stride[i] - 1) / win->stride[i]
                                  : room / win->stride[i]) + 1;
        /* ceil_mode drops a last window that would start in the end padding */
        if (ceil_mode && (outs - 1) * win->stride[i] >= in + win->begin[i])
            outs--;
        out_dims[i] = outs;
    }
    return true;
}

/* Conv, ConvInteger, QLinearConv, ConvTranspose: the output shape, and a
 * layer for a 2-D float Conv. (Long: each check of the input, the weight
 * and the group names its own fault.) */
static void conv_node(struct walk *w, size_t index)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    const char *op = text(n->op_type);
    const bool transposed = strcmp(op, "ConvTranspose") == 0;
    const bool quantized = strcmp(op, "QLinearConv") == 0;
    const size_t weight_at = quantized ? 3 : 1;
    struct value *xv = input(w, index, 0), *wv = input(w, index, weight_at);
    struct value *y = output(w, index, 0);
    if (!xv || !wv) {
        fail(w, (ptrdiff_t)index, "it needs an input and a weight");
        return;
    }
    if (!xv->known || !wv->known) {
        if (strcmp(op, "Conv") != 0) {
            /* not measured: listed, and the walk goes on without its shape */
            skip_node(w, index, "%s (its input's shape is unknown: %s)", op,
                      !xv->known ? xv->why : wv->why);
            inputs_known(w, index, 0, SIZE_MAX);
            return;
        }
        /* a conv's shape must be known: it is what convbench measures */
        fail_unknown(w, index, !xv->known ? xv : wv);
        return;
    }
    const struct value *x = xv, *wt = wv;
    if (x->rank < 3 || x->rank != wt->rank) {
        fail(w, (ptrdiff_t)index, "input of rank %d and weight of rank %d: a convolution needs "
             "N x C x spatial and a weight of the same rank", x->rank, wt->rank);
        return;
    }
    const int64_t group = attr_int(n, "group", 1);
    struct window win = {.spatial = x->rank - 2};
    int64_t kernel[MAX_RANK];
    int count = attr_ints(n, "kernel_shape", kernel, MAX_RANK);
    for (int i = 0; i < win.spatial; i++) {
        win.kernel[i] = wt->dims[2 + i];
        if (count >= 0 && (count != win.spatial || kernel[i] != wt->dims[2 + i])) {
            fail(w, (ptrdiff_t)index, "kernel_shape does not match the weight's %dx%d... dims",
                 (int)wt->dims[2], win.spatial > 1 ? (int)wt->dims[3] : 1);
            return;
        }
    }
    /* channels: the weight is M x C/group x k... (ConvTranspose: C x M/group x k...) */
    const int64_t c_in = x->dims[1];
    const int64_t per_group = transposed ? wt->dims[0] : wt->dims[1];
    const int64_t c_out = transposed ? wt->dims[1] * group : wt->dims[0];
    if (group < 1 || c_in < 1 || c_out < 1 || x->dims[0] < 1) {
        fail(w, (ptrdiff_t)index, "group %" PRId64 ", %" PRId64 " input and %" PRId64
             " output channels, batch %" PRId64 ": each must be at least 1",
             group, c_in, c_out, x->dims[0]);
        return;
    }
    if (transposed ? per_group != c_in : per_group * group != c_in) {
        fail(w, (ptrdiff_t)index,
             "its weight '%.100s' expects %" PRId64 " input channels (%" PRId64
             " per group x %" PRId64 " groups), its input '%.100s' has %" PRId64,
             wt->name, transposed ? per_group : per_group * group, per_group, group, x->name,
             c_in);
        return;
    }
    if (c_out % group) {
        fail(w, (ptrdiff_t)index, "group = %" PRId64 " does not divide %" PRId64
             " output channels", group, c_out);
        return;
    }
    int64_t dims[MAX_RANK] = {x->dims[0], c_out};
    if (transposed) {
        /* out = stride (in - 1) + output_padding + dilated kernel - pads,
         * or output_shape when given */
        if (!window_of(w, index, x, &win, false, dims + 2))
            return;
        int64_t extra[MAX_RANK] = {0}, shape[MAX_RANK];
        attr_ints(n, "output_padding", extra, MAX_RANK);
        int given = attr_ints(n, "output_shape", shape, MAX_RANK);
        for (int i = 0; i < win.spatial; i++)
            dims[2 + i] = given == win.spatial
                              ? shape[i]
                              : win.stride[i] * (x->dims[2 + i] - 1) + extra[i] +
                                    (win.kernel[i] - 1) * win.dilation[i] + 1 - win.begin[i] -
                                    win.end[i];
    } else if (!window_of(w, index, x, &win, false, dims + 2)) {
        return;
    }
    if (y)
        set_shape(y, x->rank, dims);

    if (transposed) {
        skip_node(w, index, "a transposed convolution: convbench measures forward convolutions");
        return;
    }
    if (strcmp(op, "ConvInteger") == 0 || quantized) {
        skip_node(w, index, "%s: an integer convolution; convbench measures FP32",
                  quantized ? "QLinearConv (quantized)" : "ConvInteger");
        return;
    }
    if (win.spatial != 2) {
        skip_node(w, index, "a %d-D convolution: convbench measures 2-D convolutions",
                  win.spatial);
        return;
    }
    struct conv_layer l = {
        .batch = x->dims[0], .c_in = c_in, .h_in = x->dims[2], .w_in = x->dims[3],
        .c_out = c_out, .kernel_h = win.kernel[0], .kernel_w = win.kernel[1],
        .stride_h = win.stride[0], .stride_w = win.stride[1], .pad_h = win.begin[0],
        .pad_w = win.begin[1], .pad_bottom = win.end[0], .pad_right = win.end[1],
        .dilation_h = win.dilation[0], .dilation_w = win.dilation[1], .groups = group,
        .bias = input(w, index, 2) != NULL};
    add_layer(w, index, &l);
}

/* Gemm and MatMul: a 1x1 conv on C x 1 x 1 when B is a constant 2-D weight.
 * (Long: Gemm's transposes and MatMul's ranks are each checked apart.) */
static void product_node(struct walk *w, size_t index, bool gemm)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    struct value *av = input(w, index, 0), *bv = input(w, index, 1);
    struct value *y = output(w, index, 0);
    if (!av || !bv) {
        fail(w, (ptrdiff_t)index, "it needs two inputs");
        return;
    }
    if (!av->known || !bv->known) {
        if (bv->constant || !bv->known)
            fail_unknown(w, index, !av->known ? av : bv);
        else
            inputs_known(w, index, 0, 1);
        return;
    }
    const struct value *a = av, *b = bv;
    int64_t m, k, kb, nn;
    int64_t dims[MAX_RANK];
    int rank;
    if (gemm) {
        if (a->rank != 2 || b->rank != 2) {
            fail(w, (ptrdiff_t)index, "Gemm takes 2-D inputs, not rank %d and %d", a->rank,
                 b->rank);
            return;
        }
        const bool ta = attr_int(n, "transA", 0), tb = attr_int(n, "transB", 0);
        m = ta ? a->dims[1] : a->dims[0];
        k = ta ? a->dims[0] : a->dims[1];
        kb = tb ? b->dims[1] : b->dims[0];
        nn = tb ? b->dims[0] : b->dims[1];
        dims[0] = m;
        dims[1] = nn;
        rank = 2;
    } else {
        if (a->rank < 1 || b->rank < 1) {
            fail(w, (ptrdiff_t)index, "MatMul of a scalar");
            return;
        }
        /* numpy matmul: the last two axes multiply, the others broadcast */
        k = a->dims[a->rank - 1];
        kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
        nn = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
        m = 1;
        for (int i = 0; i < a->rank - 1; i++)
            if (__builtin_mul_overflow(m, a->dims[i], &m)) {
                fail(w, (ptrdiff_t)index, "its row count overflows 64 bits");
                return;
            }
        struct value sa = *a, sb = *b, batch_shape;
        sa.rank = a->rank > 2 ? a->rank - 2 : 0;
        sb.rank = b->rank > 2 ? b->rank - 2 : 0;
        if (!broadcast(&sa, &sb, &batch_shape)) {
            fail(w, (ptrdiff_t)index, "the batch axes of its inputs do not broadcast");
            return;
        }
        rank = batch_shape.rank;
        memcpy(dims, batch_shape.dims, (size_t)rank * sizeof *dims);
        if (a->rank >= 2)
            dims[rank++] = a->dims[a->rank - 2];
        if (b->rank >= 2)
            dims[rank++] = nn;
    }
    if (k != kb) {
        fail(w, (ptrdiff_t)index, "inner dimensions differ: %" PRId64 " and %" PRId64, k, kb);
        return;
    }
    if (y)
        set_shape(y, rank, dims);
    if (!b->constant || b->rank != 2) {
        skip_node(w, index, "%s of two activations (B is not a constant 2-D weight): "
                  "not a convolution", gemm ? "Gemm" : "MatMul");
        return;
    }
    if (m < 1 || k < 1 || nn < 1) {
        fail(w, (ptrdiff_t)index, "an empty product (%" PRId64 " x %" PRId64 " by %" PRId64
             " x %" PRId64 ")", m, k, kb, nn);
        return;
    }
    struct conv_layer l = {.batch = m, .c_in = k, .h_in = 1, .w_in = 1, .c_out = nn,
                           .kernel_h = 1, .kernel_w = 1, .stride_h = 1, .stride_w = 1,
                           .dilation_h = 1, .dilation_w = 1, .groups = 1,
                           .bias = gemm && input(w, index, 2) != NULL};
    add_layer(w, index, &l);
}

/* ---- the other operators: shapes, and small integer contents -------------- */

/* Integer contents of input i when it is a known 1-D (or scalar) constant
 * of at most MAX_CONTENT values: returns the count, else -1. */
static int ints_of(struct walk *w, size_t index, size_t i, const int64_t **values)
{
    const struct value *v = known_input(w, index, i);
    if (!v || !v->has_ints || v->rank > 1)
        return -1;
    *values = v->ints;
    return (int)element_count(v);
}

static int reals_of(struct walk *w, size_t index, size_t i, const double **values)
{
    const struct value *v = known_input(w, index, i);
    if (!v || !(v->has_reals || v->has_ints) || v->rank > 1)
        return -1;
    *values = v->reals;
    return (int)element_count(v);
}

static void copy_contents(struct value *to, const struct value *from)
{
    to->has_ints = from->has_ints;
    to->has_reals = from->has_reals;
    memcpy(to->ints, from->ints, sizeof to->ints);
    memcpy(to->reals, from->reals, sizeof to->reals);
}

/* Axes from the attribute (older opsets) or input i (newer): count, or -1
 * when neither is given; -2 after failing. */
static int axes_of(struct walk *w, size_t index, size_t i, int64_t *axes)
{
    int count = attr_ints(w->graph->node[index], "axes", axes, MAX_RANK);
    if (count > MAX_RANK) {
        fail(w, (ptrdiff_t)index, "%d axes", count);
        return -2;
    }
    if (count >= 0)
        return count;
    if (!input(w, index, i))
        return -1;
    const int64_t *values;
    count = ints_of(w, index, i, &values);
    if (count < 0 || count > MAX_RANK) {
        fail(w, (ptrdiff_t)index, "its axes (input '%.100s') are not a constant convbench can "
             "read", input_name(w->graph->node[index], i));
        return -2;
    }
    memcpy(axes, values, (size_t)count * sizeof *axes);
    return count;
}

static bool reshape(struct walk *w, size_t index, const struct value *x, struct value *y)
{
    const int64_t *shape;
    int count = ints_of(w, index, 1, &shape);
    if (count < 0 || count > MAX_RANK) {
        lose(y, (ptrdiff_t)index, "its target shape is not a constant convbench can evaluate");
        return true;
    }
    const bool allow_zero = attr_int(w->graph->node[index], "allowzero", 0) != 0;
    int64_t dims[MAX_RANK], product = 1, total = element_count(x);
    int infer = -1;
    for (int i = 0; i < count; i++) {
        dims[i] = shape[i];
        if (shape[i] == 0 && !allow_zero) {
            if (i >= x->rank) {
                fail(w, (ptrdiff_t)index, "shape entry %d is 0 (copy) past the input's rank", i);
                return false;
            }
            dims[i] = x->dims[i];
        } else if (shape[i] == -1) {
            if (infer >= 0) {
                fail(w, (ptrdiff_t)index, "two -1 entries in its shape");
                return false;
            }
            infer = i;
            continue;
        } else if (shape[i] < 0) {
            fail(w, (ptrdiff_t)index, "shape entry %d is %" PRId64, i, shape[i]);
            return false;
        }
        if (__builtin_mul_overflow(product, dims[i], &product)) {
            fail(w, (ptrdiff_t)index, "its shape's element count overflows 64 bits");
            return false;
        }
    }
    if (infer >= 0) {
        if (product == 0 || total % product) {
            fail(w, (ptrdiff_t)index, "%" PRId64 " elements do not reshape with a -1 beside "
                 "a product of %" PRId64, total, product);
            return false;
        }
        dims[infer] = total / product;
        product = total;
    }
    if (product != total) {
        fail(w, (ptrdiff_t)index, "%" PRId64 " elements do not reshape into %" PRId64, total,
             product);
        return false;
    }
    set_shape(y, count, dims);
    copy_contents(y, x);
    return true;
}

static void slice(struct walk *w, size_t index, const struct value *x, struct value *y)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    int64_t starts[MAX_RANK], ends[MAX_RANK], axes[MAX_RANK], steps[MAX_RANK];
    int count;
    if (w->opset < 10) {
        count = attr_ints(n, "starts", starts, MAX_RANK);
        if (count < 0 || count > MAX_RANK || attr_ints(n, "ends", ends, MAX_RANK) != count) {
            fail(w, (ptrdiff_t)index, "starts and ends attributes of different lengths");
            return;
        }
        int a = attr_ints(n, "axes", axes, MAX_RANK);
        for (int i = 0; i < count; i++) {
            steps[i] = 1;
            if (a < 0)
                axes[i] = i;
        }
    } else {
        const int64_t *s = NULL, *e = NULL, *a = NULL, *st = NULL;
        count = ints_of(w, index, 1, &s);
        if (count < 0 || count > MAX_RANK || ints_of(w, index, 2, &e) != count) {
            lose(y, (ptrdiff_t)index, "its starts and ends are not constants convbench can "
                 "evaluate");
            return;
        }
        bool given_axes = input(w, index, 3) != NULL, given_steps = input(w, index, 4) != NULL;
        if ((given_axes && ints_of(w, index, 3, &a) != count) ||
            (given_steps && ints_of(w, index, 4, &st) != count)) {
            lose(y, (ptrdiff_t)index, "its axes or steps are not constants convbench can "
                 "evaluate");
            return;
        }
        for (int i = 0; i < count; i++) {
            starts[i] = s[i];
            ends[i] = e[i];
            axes[i] = given_axes ? a[i] : i;
            steps[i] = given_steps ? st[i] : 1;
        }
    }
    int64_t dims[MAX_RANK], first[MAX_RANK] = {0}, step[MAX_RANK];
    memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    for (int i = 0; i < x->rank; i++)
        step[i] = 1;
    for (int i = 0; i < count; i++) {
        int axis = normalize_axis(axes[i], x->rank);
        if (axis < 0 || steps[i] == 0) {
            fail(w, (ptrdiff_t)index, "axis %" PRId64 " or step %" PRId64 " out of range",
                 axes[i], steps[i]);
            return;
        }
        const int64_t d = x->dims[axis];
        int64_t b = starts[i], e = ends[i];
        /* clamped as ONNX specifies */
        if (b < 0)
            b = b < -d ? 0 : b + d;
        if (e < 0)
            e = e < -d ? (steps[i] > 0 ? 0 : -1) : e + d;
        if (steps[i] > 0) {
            b = b > d ? d : b;
            e = e > d ? d : e;
            dims[axis] = e > b ? (e - b + steps[i] - 1) / steps[i] : 0;
        } else {
            b = b > d - 1 ? d - 1 : b;
            e = e > d - 1 ? d - 1 : e;
            dims[axis] = b > e ? (b - e + (-steps[i]) - 1) / (-steps[i]) : 0;
        }
        first[axis] = b;
        step[axis] = steps[i];
    }
    set_shape(y, x->rank, dims);
    if ((x->has_ints || x->has_reals) && x->rank == 1) {
        for (int64_t i = 0; i < dims[0]; i++) {
            y->ints[i] = x->ints[first[0] + i * step[0]];
            y->reals[i] = x->reals[first[0] + i * step[0]];
        }
        y->has_ints = x->has_ints;
        y->has_reals = x->has_reals;
    }
}

static void gather(struct walk *w, size_t index, const struct value *x, struct value *y)
{
    const struct value *ind = known_input(w, index, 1);
    if (!ind) {
        fail(w, (ptrdiff_t)index, "it has no indices");
        return;
    }
    int axis = normalize_axis(attr_int(w->graph->node[index], "axis", 0), x->rank);
    if (axis < 0 || x->rank + ind->rank - 1 > MAX_RANK) {
        fail(w, (ptrdiff_t)index, "axis out of range for rank %d", x->rank);
        return;
    }
    int64_t dims[MAX_RANK];
    int rank = 0;
    for (int i = 0; i < axis; i++)
        dims[rank++] = x->dims[i];
    for (int i = 0; i < ind->rank; i++)
        dims[rank++] = ind->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        dims[rank++] = x->dims[i];
    set_shape(y, rank, dims);
    /* contents: a 1-D (or scalar) gather from a 1-D tensor */
    if (x->rank == 1 && (x->has_ints || x->has_reals) && ind->has_ints && ind->rank <= 1) {
        const int64_t count = element_count(ind);
        for (int64_t i = 0; i < count; i++) {
            int64_t at = ind->ints[i] < 0 ? ind->ints[i] + x->dims[0] : ind->ints[i];
            if (at < 0 || at >= x->dims[0]) {
                fail(w, (ptrdiff_t)index, "index %" PRId64 " out of range for %" PRId64,
                     ind->ints[i], x->dims[0]);
                return;
            }
            y->ints[i] = x->ints[at];
            y->reals[i] = x->reals[at];
        }
        y->has_ints = x->has_ints;
        y->has_reals = x->has_reals;
    }
}

static void concat(struct walk *w, size_t index, struct value *y)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    const struct value *first = known_input(w, index, 0);
    if (!first) {
        fail(w, (ptrdiff_t)index, "no inputs");
        return;
    }
    int axis = normalize_axis(attr_int(n, "axis", 0), first->rank);
    if (axis < 0) {
        fail(w, (ptrdiff_t)index, "axis out of range for rank %d", first->rank);
        return;
    }
    int64_t dims[MAX_RANK];
    memcpy(dims, first->dims, sizeof dims);
    dims[axis] = 0;
    bool ints = true, reals = true;
    int64_t at = 0;
    for (size_t i = 0; i < n->n_input; i++) {
        const struct value *v = known_input(w, index, i);
        if (!v)
            continue;
        if (v->rank != first->rank) {
            fail(w, (ptrdiff_t)index, "inputs of rank %d and %d", first->rank, v->rank);
            return;
        }
        for (int d = 0; d < v->rank; d++)
            if (d != axis && v->dims[d] != first->dims[d]) {
                fail(w, (ptrdiff_t)index, "inputs differ on axis %d: %" PRId64 " and %" PRId64,
                     d, first->dims[d], v->dims[d]);
                return;
            }
        if (__builtin_add_overflow(dims[axis], v->dims[axis], &dims[axis])) {
            fail(w, (ptrdiff_t)index, "its size overflows 64 bits");
            return;
        }
        ints = ints && v->has_ints;
        reals = reals && v->has_reals;
        if (v->rank == 1 && (v->has_ints || v->has_reals) && at + v->dims[0] <= MAX_CONTENT) {
            memcpy(y->ints + at, v->ints, (size_t)v->dims[0] * sizeof *y->ints);
            memcpy(y->reals + at, v->reals, (size_t)v->dims[0] * sizeof *y->reals);
        } else {
            ints = reals = false;
        }
        at += v->rank == 1 ? v->dims[0] : 0;
    }
    set_shape(y, first->rank, dims);
    y->has_ints = ints && first->rank == 1;
    y->has_reals = reals && first->rank == 1;
}

/* Add, Sub, Mul, Div on small integer constants, and any broadcast shape */
static void elementwise(struct walk *w, size_t index, struct value *y)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    const char *op = text(n->op_type);
    const struct value *a = known_input(w, index, 0);
    if (!a) {
        fail(w, (ptrdiff_t)index, "its first input is not given");
        return;
    }
    struct value shape = *a;
    for (size_t i = 1; i < n->n_input; i++) {
        const struct value *b = known_input(w, index, i);
        if (!b)
            continue;
        struct value next;
        if (!broadcast(&shape, b, &next)) {
            fail(w, (ptrdiff_t)index, "its inputs do not broadcast");
            return;
        }
        shape.rank = next.rank;
        memcpy(shape.dims, next.dims, sizeof shape.dims);
    }
    set_shape(y, shape.rank, shape.dims);
    const struct value *b = known_input(w, index, 1);
    const int64_t count = element_count(y);
    if (n->n_input != 2 || !b || count > MAX_CONTENT || y->rank > 1 ||
        !(a->has_ints || a->has_reals) || !(b->has_ints || b->has_reals))
        return;
    const int arithmetic = strcmp(op, "Add") == 0 ? 1 : strcmp(op, "Sub") == 0 ? 2
                           : strcmp(op, "Mul") == 0 ? 3 : strcmp(op, "Div") == 0 ? 4 : 0;
    if (!arithmetic)
        return;
    const bool integer = a->has_ints && b->has_ints;
    for (int64_t i = 0; i < count; i++) {
        const int64_t ia = a->ints[element_count(a) == 1 ? 0 : i],
                      ib = b->ints[element_count(b) == 1 ? 0 : i];
        const double ra = a->reals[element_count(a) == 1 ? 0 : i],
                     rb = b->reals[element_count(b) == 1 ? 0 : i];
        int64_t r = 0;
        bool bad = false;
        switch (arithmetic) {
        case 1: bad = __builtin_add_overflow(ia, ib, &r); break;
        case 2: bad = __builtin_sub_overflow(ia, ib, &r); break;
        case 3: bad = __builtin_mul_overflow(ia, ib, &r); break;
        default: bad = ib == 0 || (ia == INT64_MIN && ib == -1); r = bad ? 0 : ia / ib; break;
        }
        if (integer && bad)
            return; /* contents unknown: the shape alone goes on */
        y->ints[i] = r;
        y->reals[i] = integer ? (double)r
                      : arithmetic == 1 ? ra + rb
                      : arithmetic == 2 ? ra - rb
                      : arithmetic == 3 ? ra * rb : ra / rb;
    }
    y->has_ints = integer;
    y->has_reals = !integer;
}

static void pool(struct walk *w, size_t index, const struct value *x, struct value *y,
                 bool global)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    if (x->rank < 3) {
        fail(w, (ptrdiff_t)index, "a pool of a rank-%d input (N x C x spatial)", x->rank);
        return;
    }
    int64_t dims[MAX_RANK] = {x->dims[0], x->dims[1]};
    struct window win = {.spatial = x->rank - 2};
    if (global) {
        for (int i = 0; i < win.spatial; i++)
            dims[2 + i] = 1;
    } else {
        int count = attr_ints(n, "kernel_shape", win.kernel, MAX_RANK);
        if (count != win.spatial) {
            fail(w, (ptrdiff_t)index, "kernel_shape has %d values for %d spatial axes", count,
                 win.spatial);
            return;
        }
        if (!window_of(w, index, x, &win, attr_int(n, "ceil_mode", 0) != 0, dims + 2))
            return;
    }
    set_shape(y, x->rank, dims);
    struct value *indices = output(w, index, 1);
    if (indices)
        set_shape(indices, x->rank, dims);
}

static void reduce(struct walk *w, size_t index, const struct value *x, struct value *y)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    int64_t axes[MAX_RANK];
    int count = axes_of(w, index, 1, axes);
    if (count == -2)
        return;
    const bool keep = attr_int(n, "keepdims", 1) != 0;
    bool reduced[MAX_RANK] = {false};
    if (count <= 0) {
        if (count == 0 && attr_int(n, "noop_with_empty_axes", 0)) {
            set_shape(y, x->rank, x->dims);
            return;
        }
        for (int i = 0; i < x->rank; i++)
            reduced[i] = true;
    }
    for (int i = 0; i < count; i++) {
        int axis = normalize_axis(axes[i], x->rank);
        if (axis < 0) {
            fail(w, (ptrdiff_t)index, "axis %" PRId64 " out of range for rank %d", axes[i],
                 x->rank);
            return;
        }
        reduced[axis] = true;
    }
    int64_t dims[MAX_RANK];
    int rank = 0;
    for (int i = 0; i < x->rank; i++)
        if (!reduced[i])
            dims[rank++] = x->dims[i];
        else if (keep)
            dims[rank++] = 1;
    set_shape(y, rank, dims);
}

static void unsqueeze(struct walk *w, size_t index, const struct value *x, struct value *y,
                      bool squeeze)
{
    int64_t axes[MAX_RANK];
    int count = axes_of(w, index, 1, axes);
    if (count == -2)
        return;
    int64_t dims[MAX_RANK];
    int rank = 0;
    if (squeeze) {
        bool drop[MAX_RANK] = {false};
        for (int i = 0; i < count; i++) {
            int axis = normalize_axis(axes[i], x->rank);
            if (axis < 0 || x->dims[axis] != 1) {
                fail(w, (ptrdiff_t)index, "cannot squeeze axis %" PRId64, axes[i]);
                return;
            }
            drop[axis] = true;
        }
        for (int i = 0; i < x->rank; i++)
            if (!(count < 0 ? x->dims[i] == 1 : drop[i]))
                dims[rank++] = x->dims[i];
    } else {
        if (count < 0 || x->rank + count > MAX_RANK) {
            fail(w, (ptrdiff_t)index, "no axes, or a rank above %d", MAX_RANK);
            return;
        }
        rank = x->rank + count;
        bool inserted[MAX_RANK] = {false};
        for (int i = 0; i < count; i++) {
            int axis = normalize_axis(axes[i], rank);
            if (axis < 0 || inserted[axis]) {
                fail(w, (ptrdiff_t)index, "axis %" PRId64 " out of range or repeated", axes[i]);
                return;
            }
            inserted[axis] = true;
        }
        for (int i = 0, from = 0; i < rank; i++)
            dims[i] = inserted[i] ? 1 : x->dims[from++];
    }
    set_shape(y, rank, dims);
    if (element_count(y) <= MAX_CONTENT)
        copy_contents(y, x);
}

static void split(struct walk *w, size_t index, const struct value *x)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    int axis = normalize_axis(attr_int(n, "axis", 0), x->rank);
    if (axis < 0) {
        fail(w, (ptrdiff_t)index, "axis out of range for rank %d", x->rank);
        return;
    }
    const size_t outputs = n->n_output;
    int64_t parts[64];
    int count = attr_ints(n, "split", parts, 64);
    if (count > 64 || outputs > 64) {
        fail(w, (ptrdiff_t)index, "more than 64 parts");
        return;
    }
    if (count < 0 && input(w, index, 1)) {
        const int64_t *values;
        count = ints_of(w, index, 1, &values);
        if (count < 0) {
            lose_outputs(w, index, "its split sizes are not a constant convbench can evaluate");
            return;
        }
        memcpy(parts, values, (size_t)count * sizeof *parts);
    }
    if (count < 0) {
        /* equal parts, the last one smaller when they do not divide */
        const int64_t each = outputs ? (x->dims[axis] + (int64_t)outputs - 1) / (int64_t)outputs
                                     : 0;
        count = outputs < 64 ? (int)outputs : 64;
        for (int i = 0; i < count; i++) {
            const int64_t left = x->dims[axis] - i * each;
            parts[i] = left < each ? (left > 0 ? left : 0) : each;
        }
    }
    if ((size_t)count != outputs) {
        fail(w, (ptrdiff_t)index, "%d split sizes for %zu outputs", count, outputs);
        return;
    }
    int64_t sum = 0;
    for (int i = 0; i < count; i++) {
        struct value *o = output(w, index, (size_t)i);
        if (parts[i] < 0 || __builtin_add_overflow(sum, parts[i], &sum)) {
            fail(w, (ptrdiff_t)index, "split size %" PRId64, parts[i]);
            return;
        }
        if (o) {
            set_shape(o, x->rank, x->dims);
            o->dims[axis] = parts[i];
        }
    }
    if (sum != x->dims[axis])
        fail(w, (ptrdiff_t)index, "split sizes add up to %" PRId64 ", not %" PRId64, sum,
             x->dims[axis]);
}

static void pad(struct walk *w, size_t index, const struct value *x, struct value *y)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    int64_t pads[2 * MAX_RANK];
    int count = attr_ints(n, "pads", pads, 2 * MAX_RANK);
    if (count < 0) {
        const int64_t *values;
        count = ints_of(w, index, 1, &values);
        if (count < 0 || count > 2 * MAX_RANK) {
            lose(y, (ptrdiff_t)index, "its pads are not a constant convbench can evaluate");
            return;
        }
        memcpy(pads, values, (size_t)count * sizeof *pads);
    }
    int64_t axes[MAX_RANK];
    int axis_count = input(w, index, 3) ? axes_of(w, index, 3, axes) : -1;
    if (axis_count == -2)
        return;
    if (axis_count < 0) {
        axis_count = x->rank;
        for (int i = 0; i < x->rank; i++)
            axes[i] = i;
    }
    if (count != 2 * axis_count) {
        fail(w, (ptrdiff_t)index, "%d pads for %d axes", count, axis_count);
        return;
    }
    int64_t dims[MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    for (int i = 0; i < axis_count; i++) {
        int axis = normalize_axis(axes[i], x->rank);
        int64_t d;
        if (axis < 0 || __builtin_add_overflow(x->dims[axis], pads[i], &d) ||
            __builtin_add_overflow(d, pads[i + axis_count], &d) || d < 0) {
            fail(w, (ptrdiff_t)index, "pads out of range on axis %" PRId64, axes[i]);
            return;
        }
        dims[axis] = d;
    }
    set_shape(y, x->rank, dims);
}

static void resize(struct walk *w, size_t index, const struct value *x, struct value *y)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    const char *op = text(n->op_type);
    const double *scales = NULL;
    const int64_t *sizes = NULL;
    int count = -1;
    const Onnx__AttributeProto *a = attribute(n, "scales");
    double from_attr[MAX_RANK];
    if (a && a->n_floats <= MAX_RANK) {
        for (size_t i = 0; i < a->n_floats; i++)
            from_attr[i] = a->floats[i];
        scales = from_attr;
        count = (int)a->n_floats;
    } else if (strcmp(op, "Upsample") == 0 || (w->opset < 11)) {
        count = reals_of(w, index, 1, &scales);
    } else {
        /* X, roi, scales, sizes: sizes when given and not empty */
        const struct value *s = known_input(w, index, 3);
        if (s && element_count(s) > 0)
            count = ints_of(w, index, 3, &sizes);
        else
            count = reals_of(w, index, 2, &scales);
    }
    if (count != x->rank) {
        lose(y, (ptrdiff_t)index, "its scales or sizes are not a constant convbench can "
             "evaluate");
        return;
    }
    int64_t dims[MAX_RANK];
    for (int i = 0; i < count; i++) {
        const double d = sizes ? (double)sizes[i] : floor((double)x->dims[i] * scales[i]);
        if (!(d >= 0.0 && d < 9.2e18)) {
            fail(w, (ptrdiff_t)index, "output size out of range on axis %d", i);
            return;
        }
        dims[i] = (int64_t)d;
    }
    set_shape(y, x->rank, dims);
}

static void transpose(struct walk *w, size_t index, const struct value *x, struct value *y)
{
    int64_t perm[MAX_RANK];
    int count = attr_ints(w->graph->node[index], "perm", perm, MAX_RANK);
    if (count < 0) {
        count = x->rank;
        for (int i = 0; i < count; i++)
            perm[i] = count - 1 - i;
    }
    if (count != x->rank) {
        fail(w, (ptrdiff_t)index, "perm has %d values for rank %d", count, x->rank);
        return;
    }
    int64_t dims[MAX_RANK];
    bool used[MAX_RANK] = {false};
    for (int i = 0; i < count; i++) {
        if (perm[i] < 0 || perm[i] >= count || used[perm[i]]) {
            fail(w, (ptrdiff_t)index, "perm is not a permutation");
            return;
        }
        used[perm[i]] = true;
        dims[i] = x->dims[perm[i]];
    }
    set_shape(y, count, dims);
}

static void constant(struct walk *w, size_t index, struct value *y)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    const Onnx__AttributeProto *a = n->n_attribute ? n->attribute[0] : NULL;
    const char *name = a ? text(a->name) : "";
    char why[160];
    if (a && strcmp(name, "value") == 0 && a->t) {
        if (!tensor_value(a->t, y, why, sizeof why))
            fail(w, (ptrdiff_t)index, "its value: %s", why);
        return;
    }
    y->constant = true;
    if (a && (strcmp(name, "value_int") == 0 || strcmp(name, "value_float") == 0)) {
        set_shape(y, 0, NULL);
        y->ints[0] = a->has_i ? a->i : whole_of(a->f);
        y->reals[0] = a->has_i ? (double)a->i : a->f;
        y->has_ints = strcmp(name, "value_int") == 0;
        y->has_reals = !y->has_ints;
        return;
    }
    if (a && (strcmp(name, "value_ints") == 0 || strcmp(name, "value_floats") == 0)) {
        const bool ints = strcmp(name, "value_ints") == 0;
        const int64_t count = ints ? (int64_t)a->n_ints : (int64_t)a->n_floats;
        set_shape(y, 1, &count);
        if (count <= MAX_CONTENT) {
            for (int64_t i = 0; i < count; i++) {
                y->ints[i] = ints ? a->ints[i] : whole_of(a->floats[i]);
                y->reals[i] = ints ? (double)a->ints[i] : a->floats[i];
            }
            y->has_ints = ints;
            y->has_reals = !ints;
        }
        return;
    }
    lose(y, (ptrdiff_t)index, "a Constant whose value convbench cannot read");
}

static void shape_of(struct walk *w, size_t index, const struct value *x, struct value *y)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", x->rank);
    start = start < 0 ? start + x->rank : start;
    end = end < 0 ? end + x->rank : end;
    start = start < 0 ? 0 : start > x->rank ? x->rank : start;
    end = end < start ? start : end > x->rank ? x->rank : end;
    const int64_t count = end - start;
    set_shape(y, 1, &count);
    for (int64_t i = 0; i < count; i++) {
        y->ints[i] = x->dims[start + i];
        y->reals[i] = (double)x->dims[start + i];
    }
    y->has_ints = true;
    y->constant = true; /* a function of shapes only */
}

/* Operators whose first output has the shape of their first input. */
static bool same_shape_op(const char *op)
{
    static const char *const ops[] = {
        "Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Softmax", "LogSoftmax",
        "Dropout", "Identity", "Cast", "BatchNormalization", "LeakyRelu", "PRelu", "Tanh",
        "Elu", "Selu", "Celu", "Gelu", "Erf", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal",
        "Floor", "Ceil", "Round", "Sign", "Softplus", "Softsign", "Mish", "Not", "IsNaN",
        "InstanceNormalization", "LRN", "LayerNormalization", "Sin", "Cos", "ThresholdedRelu",
        "Shrink", "CastLike", "Hardmax", "Swish"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(op, ops[i]) == 0)
            return true;
    return false;
}

static bool broadcast_op(const char *op)
{
    static const char *const ops[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum",
                                      "Mean", "Equal", "Less", "Greater", "LessOrEqual",
                                      "GreaterOrEqual", "And", "Or", "Xor", "Where", "Mod"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(op, ops[i]) == 0)
            return true;
    return false;
}

static bool prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* The shape rule of one node. (Long: one branch per operator family, each
 * a call or a few lines.) */
static void visit(struct walk *w, size_t index)
{
    const Onnx__NodeProto *n = w->graph->node[index];
    const char *op = text(n->op_type);
    const char *domain = text(n->domain);
    struct value *y = output(w, index, 0);

    if (domain[0] && strcmp(domain, "ai.onnx") != 0) {
        char why[160];
        snprintf(why, sizeof why, "operator '%.40s' of domain '%.60s' has no shape rule", op,
                 domain);
        lose_outputs(w, index, why);
        return;
    }
    if (strcmp(op, "Conv") == 0 || strcmp(op, "ConvInteger") == 0 ||
        strcmp(op, "QLinearConv") == 0 || strcmp(op, "ConvTranspose") == 0) {
        conv_node(w, index);
        return;
    }
    if (strcmp(op, "Gemm") == 0 || strcmp(op, "MatMul") == 0) {
        product_node(w, index, op[0] == 'G');
        return;
    }
    if (strcmp(op, "Constant") == 0) {
        if (y)
            constant(w, index, y);
        return;
    }
    if (!inputs_known(w, index, 0, SIZE_MAX) || !y)
        return;
    const struct value *x = known_input(w, index, 0);
    if (!x && strcmp(op, "Concat") != 0 && !broadcast_op(op)) {
        lose_outputs(w, index, "it has no first input");
        return;
    }
    if (same_shape_op(op)) {
        set_shape(y, x->rank, x->dims);
        if (strcmp(op, "Identity") == 0 || strcmp(op, "Cast") == 0) {
            /* a weight through Identity (as exporters write) is a weight */
            y->constant = x->constant;
            copy_contents(y, x);
            if (strcmp(op, "Cast") == 0 && (x->has_ints || x->has_reals)) {
                const int64_t to = attr_int(n, "to", 1);
                const bool ints = integer_type((int32_t)to);
                for (int i = 0; i < MAX_CONTENT; i++) {
                    if (ints)
                        y->ints[i] = x->has_ints ? x->ints[i] : whole_of(x->reals[i]);
                    y->reals[i] = ints ? (double)y->ints[i] : x->reals[i];
                }
                y->has_ints = ints;
                y->has_reals = !ints;
            }
        }
        for (size_t i = 1; i < n->n_output; i++) {
            struct value *extra = output(w, index, i);
            if (extra && strcmp(op, "Dropout") == 0)
                set_shape(extra, x->rank, x->dims); /* the mask */
            else if (extra)
                lose(extra, (ptrdiff_t)index, "a training output convbench does not follow");
        }
        return;
    }
    if (broadcast_op(op))
        elementwise(w, index, y);
    else if (strcmp(op, "MaxPool") == 0 || strcmp(op, "AveragePool") == 0 ||
             strcmp(op, "LpPool") == 0)
        pool(w, index, x, y, false);
    else if (prefix(op, "Global") && strstr(op, "Pool"))
        pool(w, index, x, y, true);
    else if (prefix(op, "Reduce"))
        reduce(w, index, x, y);
    else if (strcmp(op, "Flatten") == 0) {
        int axis = (int)attr_int(n, "axis", 1);
        axis = axis < 0 ? axis + x->rank : axis;
        if (axis < 0 || axis > x->rank) {
            fail(w, (ptrdiff_t)index, "axis out of range for rank %d", x->rank);
            return;
        }
        struct value head = *x, tail = *x;
        head.rank = axis;
        tail.rank = x->rank - axis;
        memmove(tail.dims, x->dims + axis, (size_t)tail.rank * sizeof *tail.dims);
        const int64_t dims[2] = {element_count(&head), element_count(&tail)};
        if (dims[0] < 0 || dims[1] < 0) {
            fail(w, (ptrdiff_t)index, "its size overflows 64 bits");
            return;
        }
        set_shape(y, 2, dims);
    } else if (strcmp(op, "Reshape") == 0) {
        reshape(w, index, x, y);
    } else if (strcmp(op, "Transpose") == 0) {
        transpose(w, index, x, y);
    } else if (strcmp(op, "Concat") == 0) {
        concat(w, index, y);
    } else if (strcmp(op, "Split") == 0) {
        split(w, index, x);
    } else if (strcmp(op, "Slice") == 0) {
        slice(w, index, x, y);
    } else if (strcmp(op, "Pad") == 0) {
        pad(w, index, x, y);
    } else if (strcmp(op, "Resize") == 0 || strcmp(op, "Upsample") == 0) {
        resize(w, index, x, y);
    } else if (strcmp(op, "Shape") == 0) {
        shape_of(w, index, x, y);
    } else if (strcmp(op, "Size") == 0) {
        set_shape(y, 0, NULL);
        y->ints[0] = element_count(x);
        y->reals[0] = (double)y->ints[0];
        y->has_ints = true;
    } else if (strcmp(op, "Gather") == 0) {
        gather(w, index, x, y);
    } else if (strcmp(op, "Unsqueeze") == 0 || strcmp(op, "Squeeze") == 0) {
        unsqueeze(w, index, x, y, op[0] == 'S');
    } else if (strcmp(op, "ConstantOfShape") == 0) {
        const int64_t *dims;
        int count = ints_of(w, index, 0, &dims);
        if (count < 0 || count > MAX_RANK) {
            lose(y, (ptrdiff_t)index, "its shape is not a constant convbench can evaluate");
            return;
        }
        for (int i = 0; i < count; i++)
            if (dims[i] < 0) {
                fail(w, (ptrdiff_t)index, "a negative dimension");
                return;
            }
        set_shape(y, count, dims);
    } else if (strcmp(op, "Expand") == 0) {
        const int64_t *dims;
        int count = ints_of(w, index, 1, &dims);
        struct value target = {.rank = count};
        if (count < 0 || count > MAX_RANK) {
            lose(y, (ptrdiff_t)index, "its shape is not a constant convbench can evaluate");
            return;
        }
        memcpy(target.dims, dims, (size_t)count * sizeof *dims);
        if (!broadcast(x, &target, y))
            fail(w, (ptrdiff_t)index, "its input does not broadcast to the shape");
    } else {
        char why[160];
        snprintf(why, sizeof why, "operator '%.40s' has no shape rule in convbench", op);
        lose_outputs(w, index, why);
        return;
    }
    if (!w->failed && y->known && element_count(y) < 0)
        fail(w, (ptrdiff_t)index, "its output's element count overflows 64 bits");
    /* a function of constants is a constant (a weight transposed or
     * reshaped is still a weight) */
    bool all_constant = n->n_input > 0;
    for (size_t i = 0; i < n->n_input && all_constant; i++) {
        const struct value *v = input(w, index, i);
        all_constant = !v || v->constant;
    }
    for (size_t i = 0; i < n->n_output && all_constant; i++) {
        struct value *o = output(w, index, i);
        if (o)
            o->constant = true;
    }
}

/* ---- the graph: definitions, order, hints ---------------------------------- */

/* A shape from a ValueInfoProto: known when every dimension is a value, a
 * symbolic first one taking the batch. */
static bool hinted_shape(struct walk *w, const Onnx__ValueInfoProto *info, struct value *v,
                         char *why, size_t size)
{
    const Onnx__TypeProto *type = info->type;
    if (!type || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !type->tensor_type || !type->tensor_type->shape) {
        snprintf(why, size, "'%.100s' has no tensor shape", text(info->name));
        return false;
    }
    const Onnx__TensorShapeProto *shape = type->tensor_type->shape;
    if (shape->n_dim > MAX_RANK) {
        snprintf(why, size, "'%.100s' has %zu dimensions (at most %d)", text(info->name),
                 shape->n_dim, MAX_RANK);
        return false;
    }
    int64_t dims[MAX_RANK];
    for (size_t i = 0; i < shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = shape->dim[i];
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0) {
                snprintf(why, size, "'%.100s' has dimension %zu of %" PRId64,
                         text(info->name), i, d->dim_value);
                return false;
            }
            dims[i] = d->dim_value;
        } else if (i == 0) {
            dims[i] = w->batch;
            if (!w->symbolic[0])
                snprintf(w->symbolic, sizeof w->symbolic, "%s",
                         d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                             ? text(d->dim_param) : "?");
        } else {
            snprintf(why, size, "'%.100s' has a symbolic dimension '%.40s' at axis %zu (only "
                     "the batch, axis 0, may be symbolic)", text(info->name),
                     d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                         ? text(d->dim_param) : "?", i);
            return false;
        }
    }
    set_shape(v, (int)shape->n_dim, dims);
    return true;
}

static bool setup(struct walk *w)
{
    const Onnx__GraphProto *g = w->graph;
    size_t names = g->n_initializer + g->n_input + 1;
    /* an upper bound on the distinct names (an empty one is never looked up) */
    for (size_t i = 0; i < g->n_node; i++) {
        for (size_t k = 0; k < g->node[i]->n_input; k++)
            names += text(g->node[i]->input[k])[0] != '\0';
        for (size_t k = 0; k < g->node[i]->n_output; k++)
            names += text(g->node[i]->output[k])[0] != '\0';
    }
    w->slots = 16;
    while (w->slots < 2 * names)
        w->slots *= 2;
    w->values = calloc(names, sizeof *w->values);
    w->table = calloc(w->slots, sizeof *w->table);
    if (!w->values || !w->table) {
        fail(w, -1, "out of memory for %zu tensor names", names);
        return false;
    }
    char why[200];
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *t = g->initializer[i];
        struct value *v = lookup(w, text(t->name));
        if (!tensor_value(t, v, why, sizeof why)) {
            fail(w, -1, "initializer '%.100s': %s", text(t->name), why);
            return false;
        }
        v->defined = true;
    }
    for (size_t i = 0; i < g->n_input; i++) {
        struct value *v = lookup(w, text(g->input[i]->name));
        if (v->defined)
            continue; /* an initializer listed as an input (IR version < 4) */
        v->defined = true;
        if (!hinted_shape(w, g->input[i], v, why, sizeof why)) {
            v->known = false;
            snprintf(v->why, sizeof v->why, "graph input %.140s", why);
        } else if (element_count(v) < 0) {
            fail(w, -1, "graph input '%.100s': its element count overflows 64 bits", v->name);
            return false;
        }
    }
    return true;
}

/* The nodes in an order where each comes after the producers of its
 * inputs (ONNX files are sorted; this also finds cycles and inputs that
 * nothing produces). order has n_node entries. (Long: Kahn's algorithm
 * with the index of producers it builds, and a message for each fault.) */
static bool sort_nodes(struct walk *w, size_t *order)
{
    const Onnx__GraphProto *g = w->graph;
    const size_t count = g->n_node;
    ptrdiff_t *producer = malloc(w->slots * sizeof *producer);
    size_t *pending = calloc(count + 1, sizeof *pending);
    size_t *edges_start = calloc(count + 1, sizeof *edges_start);
    size_t edge_total = 0;
    for (size_t i = 0; i < count; i++)
        edge_total += g->node[i]->n_input;
    size_t *edges = malloc((edge_total + 1) * sizeof *edges);
    bool ok = producer && pending && edges_start && edges;
    if (!ok)
        fail(w, -1, "out of memory for %zu nodes", count);
    /* producers, by value index */
    for (size_t i = 0; ok && i < w->slots; i++)
        producer[i] = -1;
    for (size_t i = 0; ok && i < count; i++)
        for (size_t o = 0; o < g->node[i]->n_output; o++) {
            struct value *v = output(w, i, o);
            if (!v)
                continue;
            size_t at = (size_t)(v - w->values);
            if (v->defined || producer[at] >= 0) {
                fail(w, (ptrdiff_t)i, "its output '%.100s' is also %s", v->name,
                     v->defined ? "an initializer or graph input" : "another node's output");
                ok = false;
                break;
            }
            producer[at] = (ptrdiff_t)i;
        }
    /* consumers of each node (edges from producer to consumer), counted per
     * input occurrence */
    for (size_t i = 0; ok && i < count; i++)
        for (size_t k = 0; k < g->node[i]->n_input; k++) {
            struct value *v = input(w, i, k);
            if (!v)
                continue;
            const ptrdiff_t p = producer[v - w->values];
            if (p < 0 && !v->defined) {
                fail(w, (ptrdiff_t)i, "its input '%.100s' is not produced by any node, nor an "
                     "initializer or graph input", v->name);
                ok = false;
                break;
            }
            if (p >= 0) {
                edges_start[p]++;
                pending[i]++;
            }
        }
    if (ok) {
        size_t sum = 0;
        for (size_t i = 0; i <= count; i++) {
            size_t c = edges_start[i];
            edges_start[i] = sum;
            sum += c;
        }
        size_t *fill = calloc(count + 1, sizeof *fill);
        ok = fill != NULL;
        for (size_t i = 0; ok && i < count; i++)
            for (size_t k = 0; k < g->node[i]->n_input; k++) {
                struct value *v = input(w, i, k);
                const ptrdiff_t p = v ? producer[v - w->values] : -1;
                if (p >= 0)
                    edges[edges_start[p] + fill[p]++] = i;
            }
        free(fill);
        /* Kahn's algorithm, taking ready nodes in file order */
        size_t head = 0, tail = 0;
        for (size_t i = 0; ok && i < count; i++)
            if (!pending[i])
                order[tail++] = i;
        while (ok && head < tail) {
            const size_t i = order[head++];
            for (size_t e = edges_start[i]; e < edges_start[i + 1]; e++)
                if (--pending[edges[e]] == 0)
                    order[tail++] = edges[e];
        }
        if (ok && tail < count) {
            for (size_t i = 0; i < count; i++)
                if (pending[i]) {
                    fail(w, (ptrdiff_t)i, "it is on a cycle: its inputs depend on its own "
                         "output");
                    break;
                }
            ok = false;
        }
    }
    free(producer);
    free(pending);
    free(edges_start);
    free(edges);
    return ok;
}

/* value_info and graph outputs, for shapes the walk cannot derive */
static void apply_hint(struct walk *w, struct value *v)
{
    const Onnx__GraphProto *g = w->graph;
    char why[200];
    for (size_t i = 0; i < g->n_value_info + g->n_output; i++) {
        const Onnx__ValueInfoProto *info =
            i < g->n_value_info ? g->value_info[i] : g->output[i - g->n_value_info];
        if (strcmp(text(info->name), v->name) == 0) {
            struct value hinted = *v;
            if (hinted_shape(w, info, &hinted, why, sizeof why) && element_count(&hinted) >= 0) {
                set_shape(v, hinted.rank, hinted.dims);
                v->lost_at = -1;
            }
            return;
        }
    }
}

static int opset_of(const Onnx__ModelProto *m)
{
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *domain = text(m->opset_import[i]->domain);
        if (!domain[0] || strcmp(domain, "ai.onnx") == 0)
            return (int)m->opset_import[i]->version;
    }
    return 1;
}

int onnx_parse_buffer(const char *path, const void *data, size_t size, int64_t batch,
                      struct network *net, char error[CONFIG_ERROR_MAX])
{
    Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, size, data);
    if (!model) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: not an ONNX model: protobuf-c cannot decode "
                 "it as a ModelProto (truncated or not protobuf)", path);
        return -1;
    }
    if (!model->graph || !model->graph->n_node) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: the ONNX model has %s", path,
                 model->graph ? "a graph with no nodes" : "no graph");
        onnx__model_proto__free_unpacked(model, NULL);
        return -1;
    }
    struct walk w = {.path = path, .error = error, .graph = model->graph, .batch = batch,
                     .opset = opset_of(model)};
    size_t *order = malloc(model->graph->n_node * sizeof *order);
    if (!order)
        fail(&w, -1, "out of memory");
    if (!w.failed && setup(&w) && sort_nodes(&w, order)) {
        for (size_t k = 0; k < model->graph->n_node && !w.failed; k++) {
            const size_t i = order[k];
            visit(&w, i);
            /* what the walk could not derive, the file may say */
            for (size_t o = 0; o < model->graph->node[i]->n_output && !w.failed; o++) {
                struct value *v = output(&w, i, o);
                if (v) {
                    v->defined = true;
                    if (!v->known)
                        apply_hint(&w, v);
                }
            }
        }
    }
    free(order);
    if (!w.failed && !w.layer_count && !w.skipped_count)
        fail(&w, -1, "no convolution, Gemm or MatMul in the graph");
    int status = -1;
    if (!w.failed) {
        *net = (struct network){.layers = w.layers, .layer_count = w.layer_count,
                                .skipped = w.skipped, .skipped_count = w.skipped_count};
        network_base_name(path, net->name, sizeof net->name);
        /* the graph's name, made a valid tag (docs/DESIGN.md: letters,
         * digits, '_', '-', '.') */
        const char *graph_name = text(model->graph->name);
        snprintf(net->title, sizeof net->title, "%s", graph_name[0] ? graph_name : net->name);
        for (char *c = net->title; *c; c++)
            if (!layer_name_char(*c))
                *c = '_';
        if (w.symbolic[0])
            snprintf(net->note, sizeof net->note,
                     "the symbolic batch dimension '%s' is taken as %" PRId64 " (--batch)",
                     w.symbolic, batch);
        status = 0;
    } else {
        free(w.layers);
        free(w.skipped);
    }
    free(w.values);
    free(w.table);
    onnx__model_proto__free_unpacked(model, NULL);
    return status;
}
