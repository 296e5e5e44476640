/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who the retrieval service lets in: connections counted per client
 * address and in total (so one address cannot take every descriptor), and
 * MS-PCCRR's Active Client Count (3.2). Addresses are 16-byte keys, IPv4
 * as v4-mapped IPv6. Safe from several threads.
 */
#ifndef PD_ADMISSION_H
#define PD_ADMISSION_H

#include <stdint.h>
#include <sys/socket.h>

#include "peerdistd.h"

struct pd_admission;

/* For up to max_connections connections at once; NULL without memory. */
struct pd_admission *pd_admission_new(unsigned max_connections);
void pd_admission_free(struct pd_admission *a);

/* The key of a peer's address. */
void pd_admission_key(const struct sockaddr_storage *ss, uint8_t key[16]);

enum pd_admit {
	PD_ADMIT_OK,
	PD_ADMIT_OVER_TOTAL,	/* max_connections reached */
	PD_ADMIT_OVER_ADDRESS,	/* this address holds per_address already */
};

/* A new connection from key: PD_ADMIT_OK counts it until pd_admission_close(). */
enum pd_admit pd_admission_open(struct pd_admission *a, const uint8_t key[16],
				unsigned per_address);
void pd_admission_close(struct pd_admission *a, const uint8_t key[16]);

/*
 * A request from key at now_ms: whether the client holds one of
 * max_clients places (taking a free one), places idle for timeout_ms
 * being freed first.
 */
int pd_admission_active(struct pd_admission *a, const uint8_t key[16],
			unsigned max_clients, unsigned timeout_ms, int64_t now_ms);

#endif
