/* guestkit: libxml2 is left out of the WASM build. augeas uses it only for
 * aug_to_xml (and augrun's dump-xml command); compat.c makes that call
 * fail with a clear "not supported" error. These opaque
 * declarations are all augeas's sources need to compile. */
#ifndef GK_LIBXML_TREE_STUB_H
#define GK_LIBXML_TREE_STUB_H
#include <stdio.h>
typedef unsigned char xmlChar;
typedef struct _xmlNode xmlNode;
typedef xmlNode *xmlNodePtr;
typedef struct _xmlAttr xmlAttr;
typedef xmlAttr *xmlAttrPtr;
typedef struct _xmlDoc xmlDoc;
typedef xmlDoc *xmlDocPtr;
#define BAD_CAST (xmlChar *)
void xmlElemDump(FILE *f, xmlDocPtr doc, xmlNodePtr cur);
void xmlFreeNode(xmlNodePtr cur);
#endif
