/*
 * l2send: sends raw Ethernet frames out of one interface, so the guest test can move the network
 * counters of its two NICs without IP addresses. Busybox has no such tool.
 *
 * Usage: l2send IFACE DEST_MAC COUNT
 * Each frame is 64 bytes (14-byte header, 50-byte zero payload) with ethertype 0x88B5, which
 * IEEE 802 reserves for local experiments, so no protocol stack in the guest consumes it.
 * Exits 0 when every frame was handed to the driver, 1 on any error (with the reason on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { FRAME_BYTES = 64, ETHERTYPE_LOCAL_EXPERIMENT = 0x88B5 };

static int parse_mac(const char *text, unsigned char mac[6])
{
    unsigned int bytes[6];
    char trailing;
    if (sscanf(text, "%x:%x:%x:%x:%x:%x%c", &bytes[0], &bytes[1], &bytes[2], &bytes[3], &bytes[4],
               &bytes[5], &trailing) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (bytes[i] > 0xff)
            return -1;
        mac[i] = (unsigned char)bytes[i];
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: l2send IFACE DEST_MAC COUNT\n");
        return 1;
    }

    unsigned int ifindex = if_nametoindex(argv[1]);
    if (ifindex == 0) {
        fprintf(stderr, "l2send: interface %s not found: %s\n", argv[1], strerror(errno));
        return 1;
    }
    unsigned char dest[6];
    if (parse_mac(argv[2], dest) != 0) {
        fprintf(stderr, "l2send: invalid MAC address %s, expected xx:xx:xx:xx:xx:xx\n", argv[2]);
        return 1;
    }
    long count = strtol(argv[3], NULL, 10);
    if (count <= 0) {
        fprintf(stderr, "l2send: invalid COUNT %s, expected a positive number\n", argv[3]);
        return 1;
    }

    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_LOCAL_EXPERIMENT));
    if (fd < 0) {
        fprintf(stderr, "l2send: socket(AF_PACKET) failed: %s\n", strerror(errno));
        return 1;
    }

    /* The source MAC is left zero: the receiving NIC counts the frame either way. */
    unsigned char frame[FRAME_BYTES] = {0};
    memcpy(frame, dest, 6);
    frame[12] = ETHERTYPE_LOCAL_EXPERIMENT >> 8;
    frame[13] = ETHERTYPE_LOCAL_EXPERIMENT & 0xff;

    struct sockaddr_ll address = {0};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = (int)ifindex;
    address.sll_halen = 6;
    memcpy(address.sll_addr, dest, 6);

    for (long i = 0; i < count; i++) {
        ssize_t sent = sendto(fd, frame, sizeof frame, 0, (struct sockaddr *)&address, sizeof address);
        if (sent != (ssize_t)sizeof frame) {
            fprintf(stderr, "l2send: sendto on %s failed: %s\n", argv[1], strerror(errno));
            close(fd);
            return 1;
        }
    }
    close(fd);
    return 0;
}
