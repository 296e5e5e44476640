/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Discovery, the client side (MS-PCCRD 3.1): one WS-Discovery Probe for a
 * segment, multicast on every chosen interface (IPv4 239.255.255.250 and
 * IPv6 ff02::c, port 3702, hop limit 1), and the unicast ProbeMatches
 * collected for a window. Only answers from our own subnets that relate
 * to this Probe and report blocks of the segment count. A peer is reached
 * at the address the answer came from, with the port its XAddrs give: an
 * answer can never point this client at a third host. A host that floods
 * answers gets only a few of them parsed.
 */
#ifndef PD_DISCOVER_H
#define PD_DISCOVER_H

#include <stdint.h>
#include <sys/socket.h>

#define PD_DISCOVER_WINDOW_MS	300	/* Windows 7's client window */

struct pd_peer {
	struct sockaddr_storage addr;	/* the PCCRR server, port set */
	uint32_t block_count;		/* blocks of the segment it holds */
};

/*
 * Probes (PeerDist discovery version 1 or 2: that of the content
 * information the segment comes from) for segment id on the interfaces in
 * the comma list ifaces (NULL: all multicast ones) and waits window_ms for
 * answers. Returns the number of peers written (at most max), 0 when none
 * answered, or -errno when no probe could be sent at all.
 */
int pd_discover(unsigned version, const uint8_t *id, unsigned idlen,
		const char *ifaces, unsigned window_ms, struct pd_peer *peers,
		unsigned max);

/* A new "urn:uuid:..." (random, version 4). */
void pd_urn_uuid(char out[46]);

#endif
