#include <stdlib.h>
#include <string.h>

#include "build_config.h"
#include "variant.h"

#define VARIANT(id) extern const struct conv_variant variant_##id;
#include "variants.inc"
#undef VARIANT

const struct conv_variant *const conv_variants[] = {
#define VARIANT(id) &variant_##id,
#include "variants.inc"
#undef VARIANT
};

const size_t conv_variant_count = sizeof conv_variants / sizeof conv_variants[0];

const struct conv_variant *variant_find(const char *name)
{
    for (size_t i = 0; i < conv_variant_count; i++)
        if (strcmp(conv_variants[i]->name, name) == 0)
            return conv_variants[i];
    return NULL;
}

enum conv_status variant_execute(const struct conv_variant *v, void *state, const float *in,
                                 float *out)
{
    enum conv_status status = CONV_OK;
    if (v->load_input)
        status = v->load_input(state, in);
    if (status == CONV_OK)
        status = v->run(state, in, out);
    if (status == CONV_OK && v->store_output)
        status = v->store_output(state, out);
    return status;
}

void *conv_state_alloc(size_t bytes, const char **why)
{
    void *state = calloc(1, bytes);
    if (!state)
        *why = "out of memory";
    return state;
}

enum conv_status conv_supports_every_shape(const struct conv_layer *l, const char **why)
{
    (void)l;
    (void)why;
    return CONV_OK;
}
