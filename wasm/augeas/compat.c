/*
 * guestkit: the few things augeas 1.14 links against that this WASM build
 * does not provide.
 *
 *  - canonicalize_file_name(): a GNU libc extension (musl lacks it); it is
 *    realpath() with a malloc'd result.
 *  - aug_to_xml(): libxml2 is left out of the build (augeas uses it for
 *    nothing else). The call fails with AUG_EINTERNAL and says why, so
 *    aug_srun's "dump-xml" fails the same way. xml.c is not compiled.
 */
#include <config.h>
#include <stdlib.h>
#include "augeas.h"
#include "internal.h"
#include "errcode.h"

char *canonicalize_file_name(const char *name) {
    return realpath(name, NULL);
}

int aug_to_xml(const struct augeas *aug, const char *pathin,
               xmlNode **xmldoc, unsigned int flags) {
    (void) pathin;
    (void) flags;
    api_entry(aug);
    if (xmldoc != NULL)
        *xmldoc = NULL;
    report_error(aug->error, AUG_EINTERNAL,
                 "aug_to_xml is not supported: this augeas build has no libxml2");
    api_exit(aug);
    return -1;
}

void xmlElemDump(FILE *f, xmlDocPtr doc, xmlNodePtr cur) {
    (void) f; (void) doc; (void) cur;
}

void xmlFreeNode(xmlNodePtr cur) {
    (void) cur;
}
