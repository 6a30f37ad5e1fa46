#ifndef SOCKSHELL_CLINUX_SHIM_H
#define SOCKSHELL_CLINUX_SHIM_H
/* Linux headers Swift's Glibc module leaves out. */
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* fork(2), which Swift's Glibc module marks unavailable. */
static inline pid_t sockshell_fork(void) { return fork(); }

/* pidfd_open(2): a descriptor readable once the process ends (Linux 5.3);
   glibc 2.36 has no header for it here. */
static inline int sockshell_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/inet_diag.h>
/* ARPHRD_LOOPBACK, from net/if_arp.h (which would bring sys/socket.h into this module and hide Glibc's SOCK_ constants from Swift). */
#define SOCKSHELL_ARPHRD_LOOPBACK 772
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <signal.h>
#include <sys/prctl.h>

/* prctl(PR_SET_PDEATHSIG): SIGTERM once the thread that forked this process ends. */
static inline int sockshell_die_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGTERM); }

/* unshare(2) of a user and a network namespace. glibc declares it and the
   CLONE_ flags only under _GNU_SOURCE, which would change the C types Swift's
   Glibc module sees, so they are written out here (linux/sched.h's values). */
extern int unshare(int flags);
extern int setns(int fd, int nstype);
static inline int sockshell_setns(int fd, int nstype) { return setns(fd, nstype); }
static inline int sockshell_unshare_network(void) { return unshare(0x40000000 /* CLONE_NEWNET */); }
static inline int sockshell_unshare_user_and_network(void) {
    return unshare(0x10000000 /* CLONE_NEWUSER */ | 0x40000000 /* CLONE_NEWNET */);
}

/* A sock_diag dump request: the netlink header, then inet_diag's. */
struct sockshell_diag_request { struct nlmsghdr header; struct inet_diag_req_v2 body; };

/* close_range(2), every descriptor from first to last. */
static inline int sockshell_close_range(unsigned first, unsigned last) { return (int)syscall(SYS_close_range, first, last, 0); }
#endif
