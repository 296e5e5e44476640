/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MS-PCCRR (Peer Content Caching and Retrieval: Retrieval Protocol)
 * messages, as pure codecs over byte buffers: no I/O. Every integer is
 * big-endian; variable fields are padded to 4 bytes with zeroes. Requests
 * are HTTP POST bodies to PD_PCCRR_PATH; a response body is a 4-byte
 * TRANSPORT_RESPONSE_HEADER (the size of the rest) and a message.
 * Decoding is lenient where real peers differ from the spec text (a
 * BLKLIST without its NextBlockIndex), encoding is strict.
 *
 * Version 2.0 adds GETSEGLIST/SEGLIST (hosted cache): which of a list of
 * segments a server holds, with an optional ExtensibleBlob that may carry
 * segment ages. A blob that is not a valid version 1 blob is discarded as
 * the spec says (kept raw, no ages), the message is not refused for it.
 */
#ifndef PD_PCCRR_H
#define PD_PCCRR_H

#include <stddef.h>
#include <stdint.h>

#define PD_PCCRR_PATH		"/116B50EB-ECE2-41ac-8429-9F9E963361B7/"
#define PD_PCCRR_VERSION_1	0x00000001u	/* ProtVer 1.0: major in the low word */
#define PD_PCCRR_VERSION_2	0x00000002u
#define PD_PCCRR_HEADER_SIZE	16
#define PD_PCCRR_REQUEST_MIN	16
#define PD_PCCRR_REQUEST_MAX	98304
#define PD_PCCRR_RESPONSE_MIN	16
#define PD_PCCRR_RESPONSE_MAX	393216
#define PD_PCCRR_MAX_RANGES	256
#define PD_PCCRR_BLOCKS		512	/* block indexes 0..511 in a segment */
#define PD_PCCRR_MAX_SEGMENT_ID	64
#define PD_PCCRR_REQUEST_ID_SIZE	16
/*
 * Segment ids in one GETSEGLIST (and so segment indexes in a SEGLIST): the
 * one-byte SegmentIndex of ENCODED_SEGMENT_AGE cannot address more, and it
 * keeps struct pd_pccrr_msg bounded.
 */
#define PD_PCCRR_MAX_SEGMENTS	256
#define PD_PCCRR_MAX_AGES	255		/* SegmentAgeCount is one byte */
#define PD_PCCRR_MAX_AGE	0xffffffu	/* ages are 24 bits */

enum pd_pccrr_type {
	PD_MSG_NEGO_REQ = 0,
	PD_MSG_NEGO_RESP = 1,
	PD_MSG_GETBLKLIST = 2,
	PD_MSG_GETBLKS = 3,
	PD_MSG_BLKLIST = 4,
	PD_MSG_BLK = 5,
	PD_MSG_GETSEGLIST = 6,	/* hosted cache only; ProtVer 2.0 */
	PD_MSG_SEGLIST = 7,	/* hosted cache only; ProtVer 2.0 */
};

/* SegmentAgeUnits of ExtensibleBlob version 1. */
enum pd_pccrr_age_units {
	PD_AGE_NONE = 0,		/* no valid version 1 blob: no ages */
	PD_AGE_SECONDS = 1,
	PD_AGE_DECISECONDS = 2,
	PD_AGE_CENTISECONDS = 3,	/* what senders SHOULD use */
	PD_AGE_MILLISECONDS = 4,
};

enum pd_pccrr_crypto {
	PD_CRYPTO_NONE = 0,
	PD_CRYPTO_AES_128 = 1,
	PD_CRYPTO_AES_192 = 2,
	PD_CRYPTO_AES_256 = 3,
};

enum pd_pccrr_err {
	PD_RR_OK = 0,
	PD_RR_E_TRUNCATED,	/* ends inside a field */
	PD_RR_E_SIZE,		/* MsgSize or the transport size disagree with the bytes */
	PD_RR_E_TOO_LARGE,	/* over the protocol's size limits */
	PD_RR_E_VERSION,	/* ProtVer not 1.0 or 2.0 */
	PD_RR_E_TYPE,		/* unknown type, or a 2.0 type without ProtVer 2.0 */
	PD_RR_E_CRYPTO,		/* unknown CryptoAlgoId */
	PD_RR_E_SEGMENT_ID,	/* segment id empty or too long */
	PD_RR_E_RANGE,		/* block range outside 0..511, empty, or too many */
	PD_RR_E_TRAILING,	/* bytes after the message */
	PD_RR_E_BUFFER,		/* encode: output buffer too small or bad argument */
	PD_RR_E_SEGMENTS,	/* more segment ids than PD_PCCRR_MAX_SEGMENTS */
	PD_RR_E_SEGMENT_RANGE,	/* segment range empty, past the id list, or too many */
	PD_RR_E_BLOB,		/* encode: segment ages not a valid version 1 blob */
	PD_RR_E_COUNT
};

struct pd_block_range {
	uint32_t index;
	uint32_t count;
};

/* A segment id inside a GETSEGLIST. */
struct pd_segment_ref {
	const uint8_t *id;
	uint32_t len;
};

/* Indexes into the GETSEGLIST's list of segment ids. */
struct pd_segment_range {
	uint32_t index;
	uint32_t count;
};

/* ENCODED_SEGMENT_AGE: index relative to the first segment addressed. */
struct pd_segment_age {
	uint8_t index;
	uint32_t age;			/* 0..PD_PCCRR_MAX_AGE, in age_units */
};

/*
 * A decoded message; pointers point into the decoded buffer. Decoding
 * clears every scalar field; arrays are valid up to their counts only.
 */
struct pd_pccrr_msg {
	uint32_t version;
	uint32_t type;
	uint32_t crypto;
	/* NEGO_REQ, NEGO_RESP */
	uint32_t min_version, max_version;
	/* GETBLKLIST, GETBLKS, BLKLIST, BLK */
	const uint8_t *segment_id;
	uint32_t segment_id_len;
	/* GETBLKLIST (needed), GETBLKS (requested), BLKLIST (available) */
	uint32_t nranges;
	/* BLKLIST, BLK: 0 = none */
	uint32_t next_block_index;
	/* BLK */
	uint32_t block_index;
	const uint8_t *block;		/* encrypted (or plain when crypto 0) */
	uint32_t block_len;		/* 0: the peer does not have the block */
	const uint8_t *iv;
	uint32_t iv_len;
	/* GETBLKS DataForVrfBlock, BLK VrfBlock */
	const uint8_t *vrf;
	uint32_t vrf_len;
	/* GETSEGLIST, SEGLIST: the response echoes the request's id */
	uint8_t request_id[PD_PCCRR_REQUEST_ID_SIZE];
	uint32_t nsegments;		/* GETSEGLIST: segments[] */
	uint32_t nseg_ranges;		/* SEGLIST: seg_ranges[], those held */
	/*
	 * ExtensibleBlob as received, NULL when absent. Encoding writes it
	 * unchanged when age_units is PD_AGE_NONE, else a version 1 blob
	 * made of age_units and ages[] (and ignores blob).
	 */
	const uint8_t *blob;
	uint32_t blob_len;
	uint32_t age_units;		/* enum pd_pccrr_age_units */
	uint32_t nages;
	/* The arrays last: decoding need not clear them. */
	struct pd_block_range ranges[PD_PCCRR_MAX_RANGES];
	struct pd_segment_ref segments[PD_PCCRR_MAX_SEGMENTS];
	struct pd_segment_range seg_ranges[PD_PCCRR_MAX_SEGMENTS];
	struct pd_segment_age ages[PD_PCCRR_MAX_AGES];
};

/* Decodes a request body (a message without transport header). */
int pd_pccrr_decode_request(const uint8_t *buf, size_t len,
			    struct pd_pccrr_msg *msg);
/* Decodes a response body (transport header, then a message). */
int pd_pccrr_decode_response(const uint8_t *buf, size_t len,
			     struct pd_pccrr_msg *msg);

/* Encodes msg; a response gets its transport header. Returns bytes
 * written, or -PD_RR_E_* (BUFFER when out is too small). */
long pd_pccrr_encode_request(const struct pd_pccrr_msg *msg, uint8_t *out,
			     size_t len);
long pd_pccrr_encode_response(const struct pd_pccrr_msg *msg, uint8_t *out,
			      size_t len);

/*
 * Where the block starts in an encoded MSG_BLK response (transport header
 * included) for a segment id of idlen bytes: a server can read and encrypt
 * the block right there, and encoding then leaves it in place.
 */
size_t pd_pccrr_blk_block_offset(uint32_t idlen);

/* Sorts and merges ranges in place (what senders must do); returns the
 * new count. Ranges must already be valid. */
uint32_t pd_block_ranges_normalize(struct pd_block_range *r, uint32_t n);

const char *pd_pccrr_strerror(int err);

#endif
