/*
 * delay-queue: a userspace link delay for the network test bed, because this kernel has no
 * netem. iptables sends packets to NFQUEUE <queue>; each is held for a uniformly random
 * <min_ms>..<max_ms> and then accepted (packets may overtake each other, as on real paths).
 * Run inside a host's namespace; the rule uses --queue-bypass, so traffic flows undelayed
 * if this process dies. Exits on SIGTERM/SIGINT, or by itself after <lifetime_s> seconds so
 * a helper can never outlive the bed for long.
 *
 * usage: delay-queue <queue> <min_ms> <max_ms> <lifetime_s>
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAX_HELD 4096 /* beyond this, packets are accepted at once: a delay must never drop */

struct held {
  uint32_t id;
  int64_t release_us;
};

static struct held held[MAX_HELD];
static int held_count = 0;
static int min_ms, max_ms;
static volatile sig_atomic_t stopping = 0;

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *data,
                     void *unused) {
  (void)msg;
  (void)unused;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
  if (header == NULL) return 0;
  uint32_t id = ntohl(header->packet_id);
  if (held_count >= MAX_HELD) return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  int span = max_ms - min_ms + 1;
  int64_t delay_us = (int64_t)(min_ms + rand() % span) * 1000 + rand() % 1000;
  held[held_count].id = id;
  held[held_count].release_us = now_us() + delay_us;
  held_count++;
  return 0;
}

static void release_due(struct nfq_q_handle *qh, int64_t now) {
  int kept = 0;
  for (int i = 0; i < held_count; i++) {
    if (held[i].release_us <= now) nfq_set_verdict(qh, held[i].id, NF_ACCEPT, 0, NULL);
    else held[kept++] = held[i];
  }
  held_count = kept;
}

static int next_wait_ms(int64_t now) {
  int64_t soonest = now + 100000;
  for (int i = 0; i < held_count; i++)
    if (held[i].release_us < soonest) soonest = held[i].release_us;
  int64_t wait = (soonest - now + 999) / 1000;
  return wait < 0 ? 0 : (int)wait;
}

static void stop(int signum) {
  (void)signum;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <queue> <min_ms> <max_ms> <lifetime_s>\n", argv[0]);
    return 2;
  }
  int queue = atoi(argv[1]);
  min_ms = atoi(argv[2]);
  max_ms = atoi(argv[3]);
  int64_t end_us = now_us() + (int64_t)atoi(argv[4]) * 1000000;
  if (min_ms < 0 || max_ms < min_ms) {
    fprintf(stderr, "delay-queue: need 0 <= min_ms <= max_ms\n");
    return 2;
  }
  srand((unsigned)(now_us() ^ getpid()));
  signal(SIGTERM, stop);
  signal(SIGINT, stop);

  struct nfq_handle *h = nfq_open();
  if (h == NULL) {
    perror("delay-queue: nfq_open");
    return 1;
  }
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)queue, &on_packet, NULL);
  if (qh == NULL) {
    perror("delay-queue: nfq_create_queue");
    return 1;
  }
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
    perror("delay-queue: nfq_set_mode");
    return 1;
  }
  nfq_set_queue_maxlen(qh, MAX_HELD);
  /* Fail open: when the kernel queue is full, packets pass instead of being dropped. */
  nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  int fd = nfq_fd(h);
  char buffer[65536] __attribute__((aligned));
  printf("ready\n");
  fflush(stdout);

  while (!stopping && now_us() < end_us) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, next_wait_ms(now_us()));
    if (ready > 0) {
      for (;;) {
        ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0) break;
        nfq_handle_packet(h, buffer, (int)n);
      }
    }
    release_due(qh, now_us());
  }
  release_due(qh, INT64_MAX);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
