/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lane engine of sha512_mb.c, written once over a GCC vector type and
 * included once per instruction set with:
 *   LANES_VEC     a vector of LANES_N uint64_t
 *   LANES_N       lanes
 *   LANES_TARGET  the target attribute string
 *   LANES_FN      the name of the function made
 *   LANES_K_FROM_MEMORY (optional) hide the round constants from the
 *                 optimizer, so that they are read from memory as broadcast
 *                 operands rather than each built in a general register and
 *                 moved to the vector unit, round by round
 * Each lane runs one message; when a message ends, the next waiting one
 * takes its lane, so lanes stay busy whatever the lengths. A chunk cursor,
 * when given, is moved on along the way (pd_sha512_many_cut).
 */

#define LANES_ATTR __attribute__((target(LANES_TARGET)))
#define LANES_INLINE __attribute__((target(LANES_TARGET), always_inline)) inline
#define LANES_CAT2(a, b) a##b
#define LANES_CAT(a, b) LANES_CAT2(a, b)
#define LANES_COMPRESS LANES_CAT(LANES_FN, _compress)

/* Round kt, its schedule word in w[i] (computed first when sched). */
#define LANES_ROUND(kt, i, sched) do {						\
	if (sched)								\
		w[i] += SIG1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] +		\
			SIG0(w[((i) - 15) & 15]);				\
	t1 = h + BSIG1(e) + (g ^ (e & (f ^ g))) + k[kt] + w[i];		\
	t2 = BSIG0(a) + ((a & b) | (c & (a | b)));				\
	h = g; g = f; f = e; e = d + t1;					\
	d = c; c = b; b = a; a = t1 + t2;					\
} while (0)

/*
 * One block of each lane. With a cursor, eight bytes of the chunker's
 * scan ride along each round: the scan is general-register work and the
 * rounds are vector work, so on one core the two overlap. Those rounds
 * run in a loop of sixteen, not unrolled eighty times: the scan's code
 * would not fit the decoded-instruction cache (measured 2.4x slower).
 */
static LANES_INLINE void LANES_COMPRESS(LANES_VEC st[8],
					const uint8_t *const block[LANES_N],
					struct pd_chunk_cursor *cut,
					const int cutting)
{
	uint64_t words[16][LANES_N] __attribute__((aligned(64)));
	LANES_VEC w[16], a, b, c, d, e, f, g, h, t1, t2;
	const uint64_t *k = K512;
	int t, l, j;

#ifdef LANES_K_FROM_MEMORY
	__asm__("" : "+r"(k));
#endif

	for (t = 0; t < 16; t++)
		for (l = 0; l < LANES_N; l++)
			words[t][l] = load_be64(block[l] + 8 * t);
	for (t = 0; t < 16; t++)
		memcpy(&w[t], words[t], sizeof(w[t]));
	a = st[0]; b = st[1]; c = st[2]; d = st[3];
	e = st[4]; f = st[5]; g = st[6]; h = st[7];
	if (!cutting) {
#pragma GCC unroll 80
		for (t = 0; t < 80; t++)
			LANES_ROUND(t, t & 15, t >= 16);
	} else {
		const uint64_t *gear = cut->gear, below = cut->below;
		const uint8_t *buf = cut->buf;
		size_t pos = cut->pos, stop = cut->stop;
		uint64_t hash = cut->h;

		for (t = 0; t < 80; t += 16) {
#pragma GCC unroll 16
			for (j = 0; j < 16; j++) {
				LANES_ROUND(t + j, j, t > 0);
				pd_chunk_cursor_step(gear, buf, below, &pos, &stop, &hash);
			}
		}
		cut->pos = pos;
		cut->stop = stop;
		cut->h = hash;
	}
	st[0] += a; st[1] += b; st[2] += c; st[3] += d;
	st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

static LANES_ATTR void LANES_FN(const uint8_t *const *msgs, const size_t *lens,
				size_t n, uint8_t *digests, size_t out_len,
				struct pd_chunk_cursor *cut)
{
	static const uint8_t idle[128];
	struct sha512_lane lane[LANES_N];
	const uint8_t *block[LANES_N];
	LANES_VEC st[8];
	size_t next = 0, busy = 0;
	int l, i;

	for (l = 0; l < LANES_N; l++)
		lane[l].msg = -1;
	for (;;) {
		/* Lanes whose message ended hand it in and take the next one. */
		for (l = 0; l < LANES_N; l++) {
			if (lane[l].msg >= 0 && lane[l].done < lane[l].total)
				continue;
			if (lane[l].msg >= 0) {
				for (i = 0; i < 8; i++)
					lane[l].out[i] = st[i][l];
				store_digest(lane[l].out, digests +
					     (size_t)lane[l].msg * out_len, out_len);
				lane[l].msg = -1;
				busy--;
			}
			if (next < n) {
				lane_start(&lane[l], next, msgs[next], lens[next]);
				next++;
				busy++;
				for (i = 0; i < 8; i++)
					st[i][l] = sha512_iv[i];
			}
		}
		if (!busy)
			return;
		for (l = 0; l < LANES_N; l++)
			block[l] = lane[l].msg < 0 ? idle : lane_block(&lane[l]);
		if (cut && !cut->done) {
			LANES_COMPRESS(st, block, cut, 1);
			pd_chunk_cursor_settle(cut);
		} else {
			LANES_COMPRESS(st, block, NULL, 0);
		}
		for (l = 0; l < LANES_N; l++)
			lane[l].done++;
	}
}

#undef LANES_ATTR
#undef LANES_INLINE
#undef LANES_COMPRESS
#undef LANES_ROUND
#undef LANES_CAT
#undef LANES_CAT2
