/*
 * swh_export: what the public headers of libswh share. SWH_API marks the functions that
 * libswh.so exports: the library is built with -fvisibility=hidden, so everything else (the
 * client's private parts, swh_text) stays inside it. SWH_BEGIN_DECLS / SWH_END_DECLS give
 * the declarations C linkage when a C++ program includes them.
 */
#ifndef SWH_EXPORT_H
#define SWH_EXPORT_H

#if defined(__GNUC__)
#define SWH_API __attribute__((visibility("default")))
#else
#define SWH_API
#endif

#ifdef __cplusplus
#define SWH_BEGIN_DECLS extern "C" {
#define SWH_END_DECLS }
#else
#define SWH_BEGIN_DECLS
#define SWH_END_DECLS
#endif

#endif
