// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The retrieval service's admission (admission.h): a hash table of
 * connection counts per address (open addressing, sized to twice the
 * total limit so it never fills), and the active clients as a small array
 * (max_clients is at most PD_MAX_CLIENTS_LIMIT).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "admission.h"

struct address_count {
	uint8_t key[16];
	uint32_t count;		/* 0: a free slot */
};

struct active_client {
	uint8_t key[16];
	int64_t last_ms;
};

struct pd_admission {
	pthread_mutex_t conn_lock;	/* counts, total */
	struct address_count *counts;
	size_t mask;		/* counts has mask + 1 slots */
	uint64_t seed;		/* so no peer can choose colliding addresses */
	unsigned total, max_total;

	pthread_mutex_t client_lock;	/* clients, nclients */
	struct active_client *clients;
	unsigned nclients;
};

struct pd_admission *pd_admission_new(unsigned max_connections)
{
	struct pd_admission *a = calloc(1, sizeof(*a));
	size_t slots = 16;

	if (!a)
		return NULL;
	pthread_mutex_init(&a->conn_lock, NULL);
	pthread_mutex_init(&a->client_lock, NULL);
	while (slots < 2 * (size_t)max_connections)
		slots *= 2;
	a->counts = calloc(slots, sizeof(*a->counts));
	a->clients = calloc(PD_MAX_CLIENTS_LIMIT, sizeof(*a->clients));
	if (!a->counts || !a->clients ||
	    getrandom(&a->seed, sizeof(a->seed), 0) != sizeof(a->seed)) {
		pd_admission_free(a);
		return NULL;
	}
	a->mask = slots - 1;
	a->max_total = max_connections;
	return a;
}

void pd_admission_free(struct pd_admission *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->conn_lock);
	pthread_mutex_destroy(&a->client_lock);
	free(a->counts);
	free(a->clients);
	free(a);
}

void pd_admission_key(const struct sockaddr_storage *ss, uint8_t key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

static size_t slot_of(const struct pd_admission *a, const uint8_t key[16])
{
	uint64_t w[2], h;

	memcpy(w, key, 16);
	h = (w[0] ^ a->seed) * 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 29) ^ w[1]) * 0xbf58476d1ce4e5b9ull;
	return (h ^ (h >> 32)) & a->mask;
}

/* The key's slot, or the free one where it would go. Lock: conn_lock. */
static size_t find(const struct pd_admission *a, const uint8_t key[16])
{
	size_t i = slot_of(a, key);

	while (a->counts[i].count && memcmp(a->counts[i].key, key, 16))
		i = (i + 1) & a->mask;
	return i;
}

enum pd_admit pd_admission_open(struct pd_admission *a, const uint8_t key[16],
				unsigned per_address)
{
	enum pd_admit ret = PD_ADMIT_OK;
	size_t i;

	pthread_mutex_lock(&a->conn_lock);
	i = find(a, key);
	if (a->total >= a->max_total) {
		ret = PD_ADMIT_OVER_TOTAL;
	} else if (a->counts[i].count >= per_address) {
		ret = PD_ADMIT_OVER_ADDRESS;
	} else {
		memcpy(a->counts[i].key, key, 16);
		a->counts[i].count++;
		a->total++;
	}
	pthread_mutex_unlock(&a->conn_lock);
	return ret;
}

/* Empties slot i, moving back the entries its probe chain would lose. */
static void remove_slot(struct pd_admission *a, size_t i)
{
	size_t j = i, home;

	for (;;) {
		a->counts[i].count = 0;
		do {
			j = (j + 1) & a->mask;
			if (!a->counts[j].count)
				return;
			home = slot_of(a, a->counts[j].key);
		} while (i <= j ? i < home && home <= j : i < home || home <= j);
		a->counts[i] = a->counts[j];
		i = j;
	}
}

void pd_admission_close(struct pd_admission *a, const uint8_t key[16])
{
	size_t i;

	pthread_mutex_lock(&a->conn_lock);
	i = find(a, key);
	if (a->counts[i].count) {
		a->total--;
		if (!--a->counts[i].count)
			remove_slot(a, i);
	}
	pthread_mutex_unlock(&a->conn_lock);
}

/* Drops clients idle past the upload timeout. Lock: client_lock. */
static void expire_clients(struct pd_admission *a, int64_t now, int64_t timeout_ms)
{
	unsigned i = 0;

	while (i < a->nclients) {
		if (now - a->clients[i].last_ms >= timeout_ms)
			a->clients[i] = a->clients[--a->nclients];
		else
			i++;
	}
}

int pd_admission_active(struct pd_admission *a, const uint8_t key[16],
			unsigned max_clients, unsigned timeout_ms, int64_t now)
{
	unsigned i;
	int ok = 0;

	pthread_mutex_lock(&a->client_lock);
	expire_clients(a, now, timeout_ms);
	for (i = 0; i < a->nclients && memcmp(a->clients[i].key, key, 16); i++)
		;
	if (i == a->nclients && a->nclients < max_clients)
		memcpy(a->clients[a->nclients++].key, key, 16);
	if (i < a->nclients) {
		a->clients[i].last_ms = now;
		ok = 1;
	}
	pthread_mutex_unlock(&a->client_lock);
	return ok;
}
