#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The keys a layer section may hold, in the order docs/DESIGN.md lists them. */
enum layer_key { KEY_IN, KEY_OUT, KEY_KERNEL, KEY_STRIDE, KEY_PAD, KEY_PAD_END, KEY_DILATION,
                 KEY_GROUPS, KEY_BIAS, KEY_BLOCK, KEY_REPEAT, KEY_COUNT };
static const char *const layer_key_names[KEY_COUNT] = {
    "in",     "out",  "kernel", "stride", "pad",    "pad_end",
    "dilation", "groups", "bias", "block", "repeat",
};

enum network_key { NET_NAME, NET_BATCH, NET_INPUT, NET_KEY_COUNT };
static const char *const network_key_names[NET_KEY_COUNT] = {"name", "batch", "input"};

/* What the file said about one layer, before defaults and checks. */
struct layer_source {
    int section_line;
    int key_line[KEY_COUNT]; /* 0 = key absent */
    int64_t in[3];           /* C, H, W when 'in' is given */
    bool pad_same;
    bool groups_depthwise;
    /* a sweep: the comma list a key was given (malloc'd), NULL for one value */
    char *list[KEY_COUNT];
    /* after expansion: 1 + the index of the layer whose output is this
     * layer's input when it has no 'in'; 0 for none (the [network] input) */
    size_t input_from;
    bool swept; /* a point of a sweep */
};

struct parse_context {
    const char *path;
    const char *text;      /* what is left to read */
    int line;              /* the line inih is working on */

    /* sections */
    enum { SECTION_NONE, SECTION_NETWORK, SECTION_LAYER } section;
    int network_line;
    int network_key_line[NET_KEY_COUNT];
    char network_title[LAYER_NAME_MAX + 1];
    int64_t batch;
    int64_t input[3];

    struct conv_layer *layers;
    struct layer_source *sources;
    size_t count, capacity;
    /* layer names, for finding a repeated section in constant time: open
     * addressing, each slot 0 or 1 + a layer index */
    size_t *name_slots;
    size_t slot_count;     /* a power of two, at least twice count */

    /* the layer being checked when it is a point of a sweep, named in
     * messages (the line alone does not tell the points apart) */
    const char *point;

    /* the first problem found */
    int error_line;
    char error[384];
};

static void fail(struct parse_context *ctx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct parse_context *ctx, int line, const char *fmt, ...)
{
    if (ctx->error_line && ctx->error_line <= line)
        return; /* keep the earliest problem */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    va_end(ap);
    if (ctx->point) {
        const size_t used = strlen(ctx->error);
        snprintf(ctx->error + used, sizeof ctx->error - used, " (in [%s], a point of a sweep)",
                 ctx->point);
    }
    ctx->error_line = line;
}

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!layer_name_char(*s))
            return false;
    return true;
}

static size_t name_hash(const char *name)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 1099511628211u;
    return h;
}

/* The slot that holds name, or the empty slot where it would go; NULL
 * before the table exists. */
static size_t *find_name_slot(struct parse_context *ctx, const char *name)
{
    if (!ctx->slot_count)
        return NULL;
    const size_t mask = ctx->slot_count - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        size_t *slot = &ctx->name_slots[i];
        if (!*slot || strcmp(ctx->layers[*slot - 1].name, name) == 0)
            return slot;
    }
}

static bool grow_name_slots(struct parse_context *ctx)
{
    size_t count = ctx->slot_count ? 2 * ctx->slot_count : 64;
    size_t *slots = calloc(count, sizeof *slots);
    if (!slots)
        return false;
    free(ctx->name_slots);
    ctx->name_slots = slots;
    ctx->slot_count = count;
    for (size_t i = 0; i < ctx->count; i++)
        *find_name_slot(ctx, ctx->layers[i].name) = i + 1;
    return true;
}

static void begin_section(struct parse_context *ctx, const char *name, size_t length)
{
    char section[LAYER_NAME_MAX + 1];
    if (length > LAYER_NAME_MAX) {
        fail(ctx, ctx->line, "section name is longer than %d characters", LAYER_NAME_MAX);
        return;
    }
    memcpy(section, name, length);
    section[length] = '\0';

    if (strcmp(section, "network") == 0) {
        if (ctx->network_line)
            fail(ctx, ctx->line, "section [network] appears twice (first at line %d)",
                 ctx->network_line);
        else if (ctx->count)
            fail(ctx, ctx->line, "[network] must come before the first layer");
        if (ctx->error_line)
            return;
        ctx->network_line = ctx->line;
        ctx->section = SECTION_NETWORK;
        return;
    }
    if (!valid_name(section)) {
        fail(ctx, ctx->line,
             "layer name '%s' may hold only letters, digits, '_', '-' and '.'", section);
        return;
    }
    size_t *slot = find_name_slot(ctx, section);
    if (slot && *slot) {
        fail(ctx, ctx->line, "section [%s] appears twice (first at line %d)", section,
             ctx->sources[*slot - 1].section_line);
        return;
    }

    if (ctx->count == ctx->capacity) {
        size_t capacity = ctx->capacity ? 2 * ctx->capacity : 16;
        struct conv_layer *layers = realloc(ctx->layers, capacity * sizeof *layers);
        if (layers)
            ctx->layers = layers;
        struct layer_source *sources = realloc(ctx->sources, capacity * sizeof *sources);
        if (sources)
            ctx->sources = sources;
        if (!layers || !sources) {
            fail(ctx, ctx->line, "out of memory");
            return;
        }
        ctx->capacity = capacity;
    }
    if (2 * (ctx->count + 1) > ctx->slot_count && !grow_name_slots(ctx)) {
        fail(ctx, ctx->line, "out of memory");
        return;
    }
    *find_name_slot(ctx, section) = ctx->count + 1;
    struct conv_layer *l = &ctx->layers[ctx->count];
    struct layer_source *src = &ctx->sources[ctx->count];
    ctx->count++;
    *l = (struct conv_layer){.repeat = 1, .stride_h = 1, .stride_w = 1, .dilation_h = 1,
                             .dilation_w = 1, .groups = 1};
    snprintf(l->name, sizeof l->name, "%s", section);
    *src = (struct layer_source){.section_line = ctx->line};
    ctx->section = SECTION_LAYER;
}

/* inih's line reader. It counts lines, so that the handler knows where it is,
 * reads section headers itself (inih reports neither empty nor repeated
 * sections), and drops leading blanks, so that an indented line is an error
 * rather than inih's silent continuation of the previous value. After the
 * first problem it reads nothing more: inih sees the end of the file. */
static char *read_line(char *buffer, int size, void *stream)
{
    struct parse_context *ctx = stream;
    char raw[4096];
    if (ctx->error_line || !*ctx->text)
        return NULL;
    const char *newline = strchr(ctx->text, '\n');
    const size_t content = newline ? (size_t)(newline - ctx->text) : strlen(ctx->text);
    const size_t copy = content < sizeof raw - 1 ? content : sizeof raw - 1;
    memcpy(raw, ctx->text, copy);
    raw[copy] = '\0';
    ctx->text += content + (newline != NULL);
    ctx->line++;

    const size_t limit = (size_t)size - 2; /* inih's buffer, less '\n' and '\0' */
    if (content > limit) {
        fail(ctx, ctx->line, "line is longer than %zu characters", limit);
        return NULL;
    }

    const char *start = raw;
    while (*start == ' ' || *start == '\t' || *start == '\r')
        start++;
    if (*start == '[') {
        const char *close = strchr(start, ']');
        if (close) {
            const char *name = start + 1;
            while (*name == ' ' || *name == '\t')
                name++;
            const char *end = close;
            while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            begin_section(ctx, name, (size_t)(end - name));
            const char *rest = close + 1;
            while (*rest == ' ' || *rest == '\t' || *rest == '\r' || *rest == '\n')
                rest++;
            if (*rest && *rest != ';' && *rest != '#')
                fail(ctx, ctx->line, "unexpected text after ']'");
        }
    }
    snprintf(buffer, (size_t)size, "%s", start);
    return buffer;
}

/* Parses a whole number in [min, max]; on failure says why, quoting the
 * key and its whole value. */
static bool parse_integer(struct parse_context *ctx, const char *key, const char *value,
                          const char *number, int64_t min, int64_t max, int64_t *out)
{
    const char *digits = number[0] == '-' ? number + 1 : number;
    if (*digits < '0' || *digits > '9' || strspn(digits, "0123456789") != strlen(digits)) {
        if (strcmp(number, value) == 0)
            fail(ctx, ctx->line, "%s = %s is not a whole number", key, value);
        else
            fail(ctx, ctx->line, "%s = %s: '%s' is not a whole number", key, value, number);
        return false;
    }
    errno = 0;
    long long v = strtoll(number, NULL, 10);
    if ((errno == ERANGE && v > 0) || v > max) {
        fail(ctx, ctx->line, "%s = %s is too large (at most %lld)", key, value, (long long)max);
        return false;
    }
    if (errno == ERANGE || v < min) {
        fail(ctx, ctx->line, "%s = %s must be at least %lld", key, value, (long long)min);
        return false;
    }
    *out = v;
    return true;
}

/* Parses "A", "AxB" or "AxBxC" into count values; one value given where two
 * are wanted stands for both (a square kernel). */
static bool parse_sizes(struct parse_context *ctx, const char *key, const char *value,
                        int count, int64_t min, int64_t *out, const char *form)
{
    char text[64];
    int64_t v[3];
    int found = 0;
    if (strlen(value) >= sizeof text) {
        fail(ctx, ctx->line, "%s = %.20s...: expected %s", key, value, form);
        return false;
    }
    strcpy(text, value);
    for (char *token = text;; found++) {
        char *x = strchr(token, 'x');
        if (x)
            *x = '\0';
        if (found == 3) {
            found++;
            break;
        }
        if (!parse_integer(ctx, key, value, token, min, LAYER_MAX_EXTENT, &v[found]))
            return false;
        if (!x) {
            found++;
            break;
        }
        token = x + 1;
    }
    if (found == count)
        memcpy(out, v, (size_t)count * sizeof *v);
    else if (found == 1 && count == 2)
        out[0] = out[1] = v[0];
    else {
        fail(ctx, ctx->line, "%s = %s: expected %s", key, value, form);
        return false;
    }
    return true;
}

static bool parse_bool(struct parse_context *ctx, const char *key, const char *value, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(value, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(value, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    fail(ctx, ctx->line, "%s = %s: expected true or false", key, value);
    return false;
}

static bool parse_tag(struct parse_context *ctx, const char *key, const char *value, char *out)
{
    if (strlen(value) > LAYER_NAME_MAX) {
        fail(ctx, ctx->line, "%s is longer than %d characters", key, LAYER_NAME_MAX);
        return false;
    }
    if (!valid_name(value)) {
        fail(ctx, ctx->line, "%s = %s may hold only letters, digits, '_', '-' and '.'", key,
             value);
        return false;
    }
    strcpy(out, value);
    return true;
}

static int find_key(const char *const *names, int count, const char *key)
{
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], key) == 0)
            return i;
    return -1;
}

static void network_key(struct parse_context *ctx, const char *key, const char *value)
{
    int k = find_key(network_key_names, NET_KEY_COUNT, key);
    if (k < 0) {
        fail(ctx, ctx->line, "unknown key '%s' in [network] (known: name, batch, input)", key);
        return;
    }
    if (ctx->network_key_line[k]) {
        fail(ctx, ctx->line, "'%s' is given twice in [network] (first at line %d)", key,
             ctx->network_key_line[k]);
        return;
    }
    ctx->network_key_line[k] = ctx->line;
    switch ((enum network_key)k) {
    case NET_NAME: parse_tag(ctx, key, value, ctx->network_title); break;
    case NET_BATCH: parse_integer(ctx, key, value, value, 1, LAYER_MAX_EXTENT, &ctx->batch); break;
    case NET_INPUT: parse_sizes(ctx, key, value, 3, 1, ctx->input, "CxHxW, e.g. 3x224x224"); break;
    case NET_KEY_COUNT: break;
    }
}

static void apply_key(struct parse_context *ctx, struct conv_layer *l, struct layer_source *src,
                      enum layer_key k, const char *value);
static void sweep_list(struct parse_context *ctx, const struct conv_layer *l,
                       struct layer_source *src, enum layer_key k, const char *value);

static void layer_key(struct parse_context *ctx, const char *key, const char *value)
{
    struct conv_layer *l = &ctx->layers[ctx->count - 1];
    struct layer_source *src = &ctx->sources[ctx->count - 1];
    int k = find_key(layer_key_names, KEY_COUNT, key);
    if (k < 0) {
        fail(ctx, ctx->line,
             "unknown key '%s' in [%s] (known: in, out, kernel, stride, pad, pad_end, "
             "dilation, groups, bias, block, repeat)", key, l->name);
        return;
    }
    if (src->key_line[k]) {
        fail(ctx, ctx->line, "'%s' is given twice in [%s] (first at line %d)", key, l->name,
             src->key_line[k]);
        return;
    }
    src->key_line[k] = ctx->line;
    if (strchr(value, ','))
        sweep_list(ctx, l, src, (enum layer_key)k, value);
    else
        apply_key(ctx, l, src, (enum layer_key)k, value);
}

/* The keys that take "A" or "AxB" for a height and a width field. */
struct pair_key {
    int64_t min;
    const char *form;
    size_t height, width; /* offsets in struct conv_layer */
};
#define PAIR_KEY(key, min, form, h, w) \
    [key] = {min, form, offsetof(struct conv_layer, h), offsetof(struct conv_layer, w)}
static const struct pair_key pair_keys[KEY_COUNT] = {
    PAIR_KEY(KEY_KERNEL, 1, "K or KhxKw, e.g. 3 or 1x7", kernel_h, kernel_w),
    PAIR_KEY(KEY_STRIDE, 1, "S or ShxSw, e.g. 2", stride_h, stride_w),
    PAIR_KEY(KEY_PAD, 0, "P, PhxPw or 'same'", pad_h, pad_w),
    PAIR_KEY(KEY_PAD_END, 0, "B or BxR, e.g. 1 or 0x1", pad_bottom, pad_right),
    PAIR_KEY(KEY_DILATION, 1, "D or DhxDw, e.g. 2", dilation_h, dilation_w),
};

/* Sets a pair key's two fields; they are left as they were when the value is
 * wrong (the error is recorded). */
static void parse_pair(struct parse_context *ctx, struct conv_layer *l, enum layer_key k,
                       const char *value)
{
    const struct pair_key *p = &pair_keys[k];
    int64_t pair[2];
    if (parse_sizes(ctx, layer_key_names[k], value, 2, p->min, pair, p->form)) {
        *(int64_t *)((char *)l + p->height) = pair[0];
        *(int64_t *)((char *)l + p->width) = pair[1];
    }
}

/* Sets one key of a layer from its (single) value. */
static void apply_key(struct parse_context *ctx, struct conv_layer *l, struct layer_source *src,
                      enum layer_key k, const char *value)
{
    const char *const key = layer_key_names[k];
    switch (k) {
    case KEY_IN: parse_sizes(ctx, key, value, 3, 1, src->in, "CxHxW, e.g. 3x224x224"); break;
    case KEY_OUT: parse_integer(ctx, key, value, value, 1, LAYER_MAX_EXTENT, &l->c_out); break;
    case KEY_PAD:
        if (strcmp(value, "same") == 0)
            src->pad_same = true;
        else
            parse_pair(ctx, l, k, value);
        break;
    case KEY_KERNEL:
    case KEY_STRIDE:
    case KEY_PAD_END:
    case KEY_DILATION: parse_pair(ctx, l, k, value); break;
    case KEY_GROUPS:
        if (strcmp(value, "depthwise") == 0)
            src->groups_depthwise = true;
        else
            parse_integer(ctx, key, value, value, 1, LAYER_MAX_EXTENT, &l->groups);
        break;
    case KEY_BIAS: parse_bool(ctx, key, value, &l->bias); break;
    case KEY_BLOCK: parse_tag(ctx, key, value, l->block); break;
    case KEY_REPEAT:
        parse_integer(ctx, key, value, value, 1, LAYER_MAX_EXTENT, &l->repeat);
        break;
    case KEY_COUNT: break;
    }
}

/* The item of a comma list that starts at *at, copied into item; *at moves
 * past it. False when the item is empty or too long for item. */
static bool next_item(const char **at, char *item, size_t size)
{
    const char *start = *at, *comma = strchr(start, ',');
    size_t length = comma ? (size_t)(comma - start) : strlen(start);
    *at = comma ? comma + 1 : start + length;
    while (length && (*start == ' ' || *start == '\t'))
        start++, length--;
    while (length && (start[length - 1] == ' ' || start[length - 1] == '\t'))
        length--;
    if (!length || length >= size)
        return false;
    memcpy(item, start, length);
    item[length] = '\0';
    return true;
}

/* A key given a comma list: each item is checked as the key's value would be
 * (on a scratch copy of the layer), and the list is kept for the expansion. */
static void sweep_list(struct parse_context *ctx, const struct conv_layer *l,
                       struct layer_source *src, enum layer_key k, const char *value)
{
    const char *const key = layer_key_names[k];
    if (k == KEY_BLOCK || k == KEY_REPEAT) {
        fail(ctx, ctx->line, "%s = %s: '%s' takes one value; a comma list (a sweep) is for "
             "in, out, kernel, stride, pad, pad_end, dilation, groups and bias", key, value, key);
        return;
    }
    size_t items = 0;
    char item[64];
    for (const char *at = value; *at || items == 0;) {
        if (!next_item(&at, item, sizeof item)) {
            fail(ctx, ctx->line, "%s = %s: an empty or overlong item in the list", key, value);
            return;
        }
        struct conv_layer scratch = *l;
        struct layer_source scratch_source = *src;
        apply_key(ctx, &scratch, &scratch_source, k, item);
        if (ctx->error_line)
            return;
        if (++items > CONFIG_MAX_LAYERS) {
            fail(ctx, ctx->line, "%s: a list of more than %d items", key, CONFIG_MAX_LAYERS);
            return;
        }
        if (!*at && value[strlen(value) - 1] == ',') {
            fail(ctx, ctx->line, "%s = %s: an empty item at the end of the list", key, value);
            return;
        }
    }
    src->list[k] = strdup(value);
    if (!src->list[k])
        fail(ctx, ctx->line, "out of memory");
}

static size_t list_length(const char *list)
{
    size_t n = 1;
    for (; *list; list++)
        n += *list == ',';
    return n;
}

/* The keys a section sweeps, in the order of their lines (the first varies
 * slowest), and the number of layers it expands to (0 for none; at most
 * SIZE_MAX). */
static size_t sweep_keys(const struct layer_source *src, enum layer_key keys[KEY_COUNT],
                         int *count)
{
    size_t points = 1;
    *count = 0;
    for (int k = 0; k < KEY_COUNT; k++) {
        if (!src->list[k])
            continue;
        int at = (*count)++;
        while (at > 0 && src->key_line[keys[at - 1]] > src->key_line[k]) {
            keys[at] = keys[at - 1];
            at--;
        }
        keys[at] = (enum layer_key)k;
        if (__builtin_mul_overflow(points, list_length(src->list[k]), &points))
            points = SIZE_MAX;
    }
    return *count ? points : 0;
}

size_t config_sweep_key_length(const char *text)
{
    size_t best = 0;
    for (int k = 0; k < KEY_COUNT; k++) {
        const size_t n = strlen(layer_key_names[k]);
        if (k != KEY_BLOCK && k != KEY_REPEAT && n > best &&
            strncmp(text, layer_key_names[k], n) == 0)
            best = n;
    }
    return best;
}

/* Layer `point` of the sweep of section (layer, src): each swept key set
 * from its list, the name extended by "_<key><item>" per key. */
static void sweep_point(struct parse_context *ctx, const struct conv_layer *section,
                        const struct layer_source *section_src, const enum layer_key *keys,
                        int key_count, size_t point, struct conv_layer *l,
                        struct layer_source *src)
{
    *l = *section;
    *src = *section_src;
    memset(src->list, 0, sizeof src->list);
    src->swept = true;
    char name[256];
    int used = snprintf(name, sizeof name, "%s", section->name);
    /* mixed radix, the last key fastest */
    size_t index[KEY_COUNT], rest = point;
    for (int i = key_count - 1; i >= 0; i--) {
        const size_t n = list_length(section_src->list[keys[i]]);
        index[i] = rest % n;
        rest /= n;
    }
    for (int i = 0; i < key_count && !ctx->error_line; i++) {
        const char *at = section_src->list[keys[i]];
        char item[64];
        for (size_t j = 0; j <= index[i]; j++)
            next_item(&at, item, sizeof item);
        ctx->line = section_src->key_line[keys[i]];
        apply_key(ctx, l, src, keys[i], item);
        if (used < (int)sizeof name)
            used += snprintf(name + used, sizeof name - (size_t)used, "_%s%s",
                             layer_key_names[keys[i]], item);
    }
    for (char *c = name; *c; c++)
        if (!layer_name_char(*c))
            *c = '-';
    if (used > LAYER_NAME_MAX)
        fail(ctx, section_src->section_line, "[%s]: the sweep's layer name %s is longer than "
             "%d characters; shorten the section name", section->name, name, LAYER_NAME_MAX);
    else
        strcpy(l->name, name);
}

/* Replaces each swept section by the layers of its Cartesian product, and
 * says where every layer without 'in' takes its input from: the layer
 * before it, or for the points of a sweep the layer before the section (a
 * layer right after a sweep must give 'in'). Names stay unique. (Long: the
 * count, the expansion and the name check are one pass each.) */
static void expand_sweeps(struct parse_context *ctx)
{
    size_t total = 0;
    bool any = false; /* any sweep */
    for (size_t i = 0; i < ctx->count; i++) {
        enum layer_key keys[KEY_COUNT];
        int key_count;
        const size_t points = sweep_keys(&ctx->sources[i], keys, &key_count);
        any |= points > 0;
        if (points > CONFIG_MAX_LAYERS) {
            fail(ctx, ctx->sources[i].section_line, "[%s]: the sweep gives %zu layers; a config "
                 "with sweeps may hold at most %d", ctx->layers[i].name, points,
                 CONFIG_MAX_LAYERS);
            return;
        }
        total += points ? points : 1;
    }
    if (!any) {
        for (size_t i = 0; i < ctx->count; i++)
            ctx->sources[i].input_from = i;
        return;
    }
    if (total > CONFIG_MAX_LAYERS) {
        /* name the section at which the count passes the limit */
        size_t running = 0, i = 0;
        for (;; i++) {
            enum layer_key keys[KEY_COUNT];
            int key_count;
            const size_t points = sweep_keys(&ctx->sources[i], keys, &key_count);
            if ((running += points ? points : 1) > CONFIG_MAX_LAYERS)
                break;
        }
        fail(ctx, ctx->sources[i].section_line, "[%s]: with it the config holds %zu layers "
             "(%zu in all); a config with sweeps may hold at most %d", ctx->layers[i].name,
             running, total, CONFIG_MAX_LAYERS);
        return;
    }
    struct conv_layer *layers = malloc((total ? total : 1) * sizeof *layers);
    struct layer_source *sources = malloc((total ? total : 1) * sizeof *sources);
    if (!layers || !sources) {
        free(layers);
        free(sources);
        fail(ctx, ctx->line, "out of memory");
        return;
    }
    size_t n = 0;
    const char *after_sweep = NULL;
    for (size_t i = 0; i < ctx->count && !ctx->error_line; i++) {
        const struct layer_source *src = &ctx->sources[i];
        enum layer_key keys[KEY_COUNT];
        int key_count;
        const size_t points = sweep_keys(src, keys, &key_count);
        const size_t before = n; /* 1 + the index of the layer before this section */
        if (!points) {
            if (after_sweep && !src->key_line[KEY_IN])
                fail(ctx, src->section_line, "[%s] follows the sweep [%s] and has no 'in': "
                     "give its input shape", ctx->layers[i].name, after_sweep);
            layers[n] = ctx->layers[i];
            sources[n] = *src;
            memset(sources[n].list, 0, sizeof sources[n].list);
            sources[n++].input_from = before;
            after_sweep = NULL;
            continue;
        }
        for (size_t p = 0; p < points && !ctx->error_line; p++) {
            sweep_point(ctx, &ctx->layers[i], src, keys, key_count, p, &layers[n], &sources[n]);
            sources[n++].input_from = before;
        }
        after_sweep = ctx->layers[i].name;
    }
    free(ctx->layers);
    for (size_t i = 0; i < ctx->count; i++)
        for (int k = 0; k < KEY_COUNT; k++)
            free(ctx->sources[i].list[k]);
    free(ctx->sources);
    ctx->layers = layers;
    ctx->sources = sources;
    ctx->count = n;
    ctx->capacity = total;
    if (!ctx->error_line) {
        ctx->slot_count = 0;
        free(ctx->name_slots);
        ctx->name_slots = NULL;
        for (size_t i = 0; i < n && !ctx->error_line; i++) {
            if (2 * (i + 1) > ctx->slot_count) {
                const size_t keep = ctx->count;
                ctx->count = i;
                const bool grown = grow_name_slots(ctx);
                ctx->count = keep;
                if (!grown) {
                    fail(ctx, ctx->line, "out of memory");
                    break;
                }
            }
            size_t *slot = find_name_slot(ctx, layers[i].name);
            if (*slot)
                fail(ctx, sources[i].section_line, "[%s] is the name of two layers (lines %d "
                     "and %d), at least one of them a point of a sweep", layers[i].name,
                     sources[*slot - 1].section_line, sources[i].section_line);
            else
                *slot = i + 1;
        }
    }
}

static int handle_key(void *user, const char *section, const char *key, const char *value)
{
    (void)section; /* read_line tracks sections */
    struct parse_context *ctx = user;
    switch (ctx->section) {
    case SECTION_NONE: fail(ctx, ctx->line, "'%s' comes before any [section]", key); break;
    case SECTION_NETWORK: network_key(ctx, key, value); break;
    case SECTION_LAYER: layer_key(ctx, key, value); break;
    }
    return 1;
}

/* Fills in defaults and checks each layer against its input, in file order,
 * and that the network's totals fit in 64 bits. (Long: one check per key,
 * each with its own message naming the line.) */
static void validate(struct parse_context *ctx)
{
    enum { TOTAL_PARAMS, TOTAL_MACS, TOTAL_MACS_NOPAD, TOTAL_FLOPS, TOTAL_BYTES, TOTAL_COUNT };
    static const char *const total_names[TOTAL_COUNT] = {"parameter count", "MAC count",
                                                         "MAC count", "FLOP count",
                                                         "byte count"};
    int64_t totals[TOTAL_COUNT] = {0};
    if (ctx->count == 0) {
        fail(ctx, ctx->line ? ctx->line : 1,
             "no layers: a layer is a [section] with at least 'out' and 'kernel'");
        return;
    }
    for (size_t i = 0; i < ctx->count && !ctx->error_line; i++) {
        struct conv_layer *l = &ctx->layers[i];
        const struct layer_source *src = &ctx->sources[i];
        int line = src->section_line;
        ctx->point = src->swept ? l->name : NULL;

        if (!src->key_line[KEY_OUT]) {
            fail(ctx, line, "[%s] has no 'out' (output channels)", l->name);
            return;
        }
        if (!src->key_line[KEY_KERNEL]) {
            fail(ctx, line, "[%s] has no 'kernel'", l->name);
            return;
        }
        l->batch = ctx->batch;
        if (src->key_line[KEY_IN]) {
            l->c_in = src->in[0];
            l->h_in = src->in[1];
            l->w_in = src->in[2];
        } else if (src->input_from) {
            const struct conv_layer *previous = &ctx->layers[src->input_from - 1];
            l->c_in = previous->c_out;
            l->h_in = previous->h_out;
            l->w_in = previous->w_out;
        } else if (ctx->network_key_line[NET_INPUT]) {
            l->c_in = ctx->input[0];
            l->h_in = ctx->input[1];
            l->w_in = ctx->input[2];
        } else {
            fail(ctx, line, "[%s] has no input shape: give 'in = CxHxW' here or 'input' in "
                 "[network]", l->name);
            return;
        }

        if (src->groups_depthwise)
            l->groups = l->c_in;
        if (l->c_in % l->groups) {
            fail(ctx, src->key_line[KEY_GROUPS], "groups = %lld does not divide %lld input "
                 "channels", (long long)l->groups, (long long)l->c_in);
            return;
        }
        if (l->c_out % l->groups) {
            fail(ctx, src->key_line[KEY_GROUPS], "groups = %lld does not divide %lld output "
                 "channels", (long long)l->groups, (long long)l->c_out);
            return;
        }
        if (src->pad_same) {
            if (l->stride_h != 1 || l->stride_w != 1) {
                fail(ctx, src->key_line[KEY_PAD], "pad = same needs stride 1, not %lldx%lld",
                     (long long)l->stride_h, (long long)l->stride_w);
                return;
            }
            int64_t span_h = l->dilation_h * (l->kernel_h - 1);
            int64_t span_w = l->dilation_w * (l->kernel_w - 1);
            if (span_h % 2 || span_w % 2) {
                fail(ctx, src->key_line[KEY_PAD], "pad = same needs an odd dilated kernel "
                     "extent, not %lldx%lld", (long long)span_h + 1, (long long)span_w + 1);
                return;
            }
            l->pad_h = span_h / 2;
            l->pad_w = span_w / 2;
        }
        if (src->pad_same && src->key_line[KEY_PAD_END]) {
            fail(ctx, src->key_line[KEY_PAD_END], "pad_end cannot be given with pad = same");
            return;
        }
        if (!src->key_line[KEY_PAD_END]) {
            l->pad_bottom = l->pad_h;
            l->pad_right = l->pad_w;
        }
        if (layer_output_extent(l->h_in, l->kernel_h, l->stride_h, l->pad_h, l->pad_bottom,
                                l->dilation_h) < 1 ||
            layer_output_extent(l->w_in, l->kernel_w, l->stride_w, l->pad_w, l->pad_right,
                                l->dilation_w) < 1) {
            char padding[96];
            if (layer_pad_asymmetric(l))
                snprintf(padding, sizeof padding, "%lldx%lld before and %lldx%lld after",
                         (long long)l->pad_h, (long long)l->pad_w, (long long)l->pad_bottom,
                         (long long)l->pad_right);
            else
                snprintf(padding, sizeof padding, "%lldx%lld", (long long)l->pad_h,
                         (long long)l->pad_w);
            fail(ctx, src->key_line[KEY_KERNEL],
                 "the %lldx%lld kernel (dilation %lldx%lld) does not fit the %lldx%lld input "
                 "padded by %s: the output would be empty",
                 (long long)l->kernel_h, (long long)l->kernel_w, (long long)l->dilation_h,
                 (long long)l->dilation_w, (long long)l->h_in, (long long)l->w_in, padding);
            return;
        }
        const char *why = layer_derive(l);
        if (why) {
            fail(ctx, line, "[%s] is too large: %s", l->name, why);
            return;
        }
        /* totals over the network, as --summary and the reports add them */
        const struct layer_cost c = layer_cost(l);
        const int64_t per_layer[TOTAL_COUNT] = {c.params, c.macs, c.macs_nopad, c.flops,
                                                c.bytes};
        for (int t = 0; t < TOTAL_COUNT; t++) {
            int64_t repeated;
            if (__builtin_mul_overflow(per_layer[t], l->repeat, &repeated) ||
                __builtin_add_overflow(totals[t], repeated, &totals[t])) {
                fail(ctx, line, "[%s]: the network's total %s overflows 64 bits", l->name,
                     total_names[t]);
                return;
            }
        }
    }
}

void network_base_name(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t length = strlen(base);
    if (length > 4 && strcmp(base + length - 4, ".ini") == 0)
        length -= 4;
    else if (length > 5 && strcmp(base + length - 5, ".onnx") == 0)
        length -= 5;
    if (length >= size)
        length = size - 1;
    memcpy(out, base, length);
    out[length] = '\0';
}

static int parse(struct parse_context *ctx, struct network *net, char error[CONFIG_ERROR_MAX])
{
    ctx->batch = 1;
    /* a UTF-8 byte order mark, as some editors write, is not part of line 1 */
    if (strncmp(ctx->text, "\xEF\xBB\xBF", 3) == 0)
        ctx->text += 3;
    int status = ini_parse_stream(read_line, ctx, handle_key, ctx);
    if (status > 0)
        fail(ctx, status, "expected '[section]' or 'key = value'");
    else if (status < 0)
        fail(ctx, ctx->line, "out of memory while reading");
    if (!ctx->error_line)
        expand_sweeps(ctx);
    if (!ctx->error_line)
        validate(ctx);
    ctx->point = NULL;
    free(ctx->name_slots);
    for (size_t i = 0; i < ctx->count; i++)
        for (int k = 0; k < KEY_COUNT; k++)
            free(ctx->sources[i].list[k]);
    ctx->name_slots = NULL;

    if (ctx->error_line) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s:%d: %s", ctx->path, ctx->error_line,
                 ctx->error);
        free(ctx->layers);
        free(ctx->sources);
        return -1;
    }
    *net = (struct network){.layers = ctx->layers, .layer_count = ctx->count};
    network_base_name(ctx->path, net->name, sizeof net->name);
    if (ctx->network_title[0])
        strcpy(net->title, ctx->network_title);
    else
        strcpy(net->title, net->name);
    free(ctx->sources);
    return 0;
}

/* What a path is, for a message, when it is not a regular file. */
static const char *file_type_name(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

int config_open(const char *path, struct stat *st, char error[CONFIG_ERROR_MAX])
{
    /* only a regular file is read: a FIFO would block on open, a device
     * such as /dev/zero never end; O_NONBLOCK and the second look cover a
     * file swapped in between */
    int fd = -1;
    if (stat(path, st) != 0 ||
        (S_ISREG(st->st_mode) && (fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) ||
        (fd >= 0 && fstat(fd, st) != 0)) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: cannot open: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: is %s, not a config file", path,
                 file_type_name(st->st_mode));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int config_parse_buffer(const char *path, char *text, size_t size, struct network *net,
                               char error[CONFIG_ERROR_MAX]);

int config_parse_file(const char *path, struct network *net, char error[CONFIG_ERROR_MAX])
{
    struct stat st;
    int fd = config_open(path, &st, error);
    if (fd < 0)
        return -1;
    if (st.st_size > CONFIG_MAX_BYTES) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: %lld bytes; a config may have at most %d MiB",
                 path, (long long)st.st_size, CONFIG_MAX_BYTES >> 20);
        close(fd);
        return -1;
    }
    /* read up to one byte past the limit, in case the file grew */
    const size_t capacity = (size_t)st.st_size + 1;
    char *text = malloc(capacity + 1);
    size_t size = 0;
    ssize_t got = 0;
    while (text && size < capacity &&
           ((got = read(fd, text + size, capacity - size)) > 0 || (got < 0 && errno == EINTR)))
        size += got > 0 ? (size_t)got : 0;
    int status = -1;
    if (!text)
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: out of memory", path);
    else if (got < 0)
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: read error: %s", path, strerror(errno));
    else if (size == capacity)
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: the file grew while it was read", path);
    else
        status = 0;
    close(fd);
    if (status == 0)
        status = config_parse_buffer(path, text, size, net, error);
    free(text);
    return status;
}

/* The same on the size bytes of text (which has room for one more, a NUL
 * written after them): a NUL byte among them is an error naming its line. */
static int config_parse_buffer(const char *path, char *text, size_t size, struct network *net,
                               char error[CONFIG_ERROR_MAX])
{
    const char *nul = memchr(text, '\0', size);
    if (nul) {
        int line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        snprintf(error, CONFIG_ERROR_MAX, "%.512s:%d: a NUL byte: a config is text", path, line);
        return -1;
    }
    text[size] = '\0';
    return config_parse_string(path, text, net, error);
}

int config_parse_string(const char *path, const char *text, struct network *net,
                        char error[CONFIG_ERROR_MAX])
{
    struct parse_context ctx = {.path = path, .text = text};
    return parse(&ctx, net, error);
}

/* configs/seed.ini without its comments; tests/test_config.c checks that the
 * two describe the same layers. */
static const char builtin_seed[] =
    "[network]\nname = seed\ninput = 6x64x64\n"
    "[regular]\nin = 6x64x64\nout = 3\nkernel = 3\npad = 1\n"
    "[grouped]\nin = 6x64x64\nout = 3\nkernel = 3\npad = 1\ngroups = 3\n"
    "[separable_dw]\nin = 6x64x64\nout = 6\nkernel = 3\npad = 1\ngroups = depthwise\n"
    "block = separable\n"
    "[separable_pw]\nout = 3\nkernel = 1\nblock = separable\n"
    "[dilated]\nin = 6x64x64\nout = 3\nkernel = 3\npad = 1\ndilation = 2\n";

int config_builtin_seed(struct network *net, char error[CONFIG_ERROR_MAX])
{
    return config_parse_string("seed", builtin_seed, net, error);
}

int network_set_batch(const char *path, struct network *net, int64_t batch,
                      char error[CONFIG_ERROR_MAX])
{
    int64_t macs = 0, params = 0;
    for (size_t i = 0; i < net->layer_count; i++) {
        struct conv_layer *l = &net->layers[i];
        l->batch = batch;
        const char *why = layer_derive(l);
        if (why) {
            snprintf(error, CONFIG_ERROR_MAX, "%.512s: [%s] at batch %lld is too large: %s",
                     path, l->name, (long long)batch, why);
            return -1;
        }
        /* the MAC total bounds the others (flops = 2 macs fits by
         * layer_derive; params and bytes do not depend on the batch) */
        const struct layer_cost c = layer_cost(l);
        int64_t repeated;
        if (__builtin_mul_overflow(c.macs, 2 * l->repeat, &repeated) ||
            __builtin_add_overflow(macs, repeated, &macs) ||
            __builtin_mul_overflow(c.bytes, l->repeat, &repeated) ||
            __builtin_add_overflow(params, repeated, &params)) {
            snprintf(error, CONFIG_ERROR_MAX,
                     "%.512s: [%s]: at batch %lld the network's totals overflow 64 bits", path,
                     l->name, (long long)batch);
            return -1;
        }
    }
    return 0;
}

void network_free(struct network *net)
{
    free(net->layers);
    net->layers = NULL;
    net->layer_count = 0;
    free(net->skipped);
    net->skipped = NULL;
    net->skipped_count = 0;
}
