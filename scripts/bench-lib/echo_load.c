/* The load client of scripts/bench's server rows, in C so that the client is
 * never what is measured (a Python client tops out near the servers' rates).
 *
 *   echo_load rt PORT CLIENTS TRIPS    CLIENTS connections to 127.0.0.1:PORT at
 *                                      once, each TRIPS round trips of 64 bytes
 *                                      (sent, then read back whole), from one
 *                                      epoll loop; TRIPS 0: until SIGTERM.
 *                                      Prints "ROUND_TRIPS SECONDS".
 *   echo_load conn PORT COUNT          COUNT connect, 64-byte echo, close
 *                                      cycles, one after another.
 *                                      Prints "COUNT SECONDS".
 * Exits 1 with a message on stderr when a server misbehaves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIZE 64

static volatile sig_atomic_t stopping = 0;
static void on_term(int signal) { (void)signal; stopping = 1; }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("echo_load: connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *bytes, size_t count) {
    while (count > 0) {
        ssize_t sent = send(fd, bytes, count, MSG_NOSIGNAL);
        if (sent < 0) { if (errno == EINTR) continue; perror("echo_load: send"); exit(1); }
        bytes += sent;
        count -= (size_t)sent;
    }
}

static int round_trips(int port, int clients, long trips) {
    char payload[SIZE], buffer[65536];
    memset(payload, 'x', SIZE);
    int poller = epoll_create1(0);
    int *fds = calloc(clients, sizeof *fds);
    long *left = calloc(clients, sizeof *left), *got = calloc(clients, sizeof *got);
    for (int i = 0; i < clients; i++) fds[i] = dial(port);
    double start = now();
    long done = 0;
    int active = clients;
    for (int i = 0; i < clients; i++) {
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(poller, EPOLL_CTL_ADD, fds[i], &event);
        left[i] = trips;
        send_all(fds[i], payload, SIZE);
    }
    struct epoll_event events[256];
    while (active > 0) {
        int count = epoll_wait(poller, events, 256, 10000);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) { fprintf(stderr, "echo_load: no answer for 10 s\n"); return 1; }
        for (int e = 0; e < count; e++) {
            int i = (int)events[e].data.u32;
            ssize_t n = recv(fds[i], buffer, sizeof buffer, 0);
            if (n <= 0) { fprintf(stderr, "echo_load: the server closed a connection mid-run\n"); return 1; }
            got[i] += n;
            int finished = 0;
            while (got[i] >= SIZE) {
                got[i] -= SIZE;
                done++;
                if (trips > 0 && --left[i] == 0) { finished = 1; break; }
                if (trips == 0 && stopping) { finished = 1; break; }
                send_all(fds[i], payload, SIZE);
            }
            if (finished) { epoll_ctl(poller, EPOLL_CTL_DEL, fds[i], NULL); active--; }
        }
    }
    printf("%ld %.6f\n", done, now() - start);
    for (int i = 0; i < clients; i++) close(fds[i]);
    return 0;
}

static int connections(int port, long count) {
    char payload[SIZE], buffer[SIZE];
    memset(payload, 'y', SIZE);
    double start = now();
    for (long c = 0; c < count; c++) {
        int fd = dial(port);
        send_all(fd, payload, SIZE);
        size_t got = 0;
        while (got < SIZE) {
            ssize_t n = recv(fd, buffer, SIZE - got, 0);
            if (n <= 0) { fprintf(stderr, "echo_load: closed before the echo\n"); return 1; }
            got += (size_t)n;
        }
        close(fd);
    }
    printf("%ld %.6f\n", count, now() - start);
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);
    if (argc == 5 && strcmp(argv[1], "rt") == 0) return round_trips(atoi(argv[2]), atoi(argv[3]), atol(argv[4]));
    if (argc == 4 && strcmp(argv[1], "conn") == 0) return connections(atoi(argv[2]), atol(argv[3]));
    fprintf(stderr, "usage: echo_load rt PORT CLIENTS TRIPS | echo_load conn PORT COUNT\n");
    return 2;
}
