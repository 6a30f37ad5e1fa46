#ifndef SOCKSHELL_CLINUX_SHIM_H
#define SOCKSHELL_CLINUX_SHIM_H
/* Linux headers Swift's Glibc module leaves out. */
#include <sys/epoll.h>
#endif
