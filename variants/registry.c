#include <string.h>

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
