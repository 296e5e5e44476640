/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MS-PCHC (Peer Content Caching and Retrieval: Hosted Cache Protocol)
 * messages, as pure codecs over byte buffers: no I/O. A request is the
 * body of an HTTP POST to the version's path: MESSAGE_HEADER {u8 Minor=0,
 * u8 Major=1|2, u16 Type, 4 bytes padding}, CONNECTION_INFORMATION {u16
 * Port, 6 bytes padding}, then the body. Integers are big-endian; the
 * content information inside a SEGMENT_INFO_MESSAGE is MS-PCCRC version 1
 * (little-endian) and is validated by the pccrc parser. Padding is
 * ignored on input and written as zeroes. A response is a transport
 * header {u32 Size} and a one-byte ResponseCode.
 *
 * Version 1.0 (HTTPS) carries INITIAL_OFFER and SEGMENT_INFO, version 2.0
 * (HTTP) BATCHED_OFFER only: a message of the other version is refused.
 */
#ifndef PD_PCHC_H
#define PD_PCHC_H

#include <stddef.h>
#include <stdint.h>

#include "pccrc.h"

#define PD_PCHC_V1_PATH		"/C574AC30-5794-4AEE-B1BB-6651C5315029"
#define PD_PCHC_V2_PATH		"/0131501b-d67f-491b-9a40-c4bf27bcb4d4"
#define PD_PCHC_V1_PORT		443	/* HTTPS */
#define PD_PCHC_V2_PORT		80	/* HTTP */
#define PD_PCHC_PREFIX_SIZE	16	/* MESSAGE_HEADER + CONNECTION_INFORMATION */
#define PD_PCHC_TAG_SIZE	16	/* ContentTag */
#define PD_PCHC_MAX_BATCH	128	/* SegmentDescriptors in a BATCHED_OFFER */
#define PD_PCHC_BATCH_ID_SIZE	32	/* SegmentHoHoDk for both algorithms */
#define PD_PCHC_RESPONSE_SIZE	5
/* A SEGMENT_INFO of 512 SHA-512 block hashes is about 33 KiB. */
#define PD_PCHC_REQUEST_MAX	65536

enum pd_pchc_type {
	PD_PCHC_INITIAL_OFFER = 1,	/* 1.0 */
	PD_PCHC_SEGMENT_INFO = 2,	/* 1.0 */
	PD_PCHC_BATCHED_OFFER = 3,	/* 2.0 */
};

enum pd_pchc_code {
	PD_PCHC_OK = 0,		/* the server can retrieve the content */
	PD_PCHC_INTERESTED = 1,	/* it needs the block hashes: SEGMENT_INFO */
};

/* HashAlgorithm of a BATCHED_OFFER SegmentDescriptor. */
enum pd_pchc_hash {
	PD_PCHC_HASH_SHA256 = 0x01,
	PD_PCHC_HASH_SHA512_TRUNC = 0x04,
};

enum pd_pchc_err {
	PD_HC_OK = 0,
	PD_HC_E_TRUNCATED,	/* ends inside a field */
	PD_HC_E_TOO_LARGE,	/* over PD_PCHC_REQUEST_MAX */
	PD_HC_E_VERSION,	/* not 1.0 or 2.0 */
	PD_HC_E_TYPE,		/* unknown type, or a type of the other version */
	PD_HC_E_HASH,		/* offered id not 32, 48 or 64 bytes; bad HashAlgorithm */
	PD_HC_E_TAG,		/* SizeOfContentTag is not 16 */
	PD_HC_E_BATCH,		/* no SegmentDescriptor, or more than 128 */
	PD_HC_E_CONTENT_INFO,	/* SegmentInformation not valid V1 with one segment */
	PD_HC_E_TRAILING,	/* bytes after the message */
	PD_HC_E_CODE,		/* response code not OK or INTERESTED */
	PD_HC_E_BUFFER,		/* encode: output too small or bad argument */
	PD_HC_E_COUNT
};

/* A BATCHED_OFFER SegmentDescriptor. */
struct pd_pchc_segment {
	uint32_t block_size;
	uint32_t segment_size;
	uint8_t tag[PD_PCHC_TAG_SIZE];
	uint8_t hash_alg;		/* enum pd_pchc_hash */
	uint8_t id[PD_PCHC_BATCH_ID_SIZE];	/* HoHoDk */
};

/*
 * A decoded request; pointers point into the decoded buffer. Fields not
 * used by the type are zero (the segments array: up to nsegments only).
 */
struct pd_pchc_msg {
	unsigned major;			/* 1 or 2 */
	unsigned type;			/* enum pd_pchc_type */
	uint16_t port;			/* the offerer's MS-PCCRR port */
	/* INITIAL_OFFER: the segment's HoHoDk */
	const uint8_t *id;
	uint32_t id_len;
	/* SEGMENT_INFO */
	uint8_t tag[PD_PCHC_TAG_SIZE];
	const uint8_t *info;		/* MS-PCCRC V1, one segment */
	uint32_t info_len;
	/* BATCHED_OFFER */
	uint32_t nsegments;
	struct pd_pchc_segment segments[PD_PCHC_MAX_BATCH];
};

/*
 * Decodes a request body. For a SEGMENT_INFO the content information is
 * parsed and checked (one segment, its HoD the hash of its block hashes);
 * with ci not NULL the parsed object is handed over (pd_ci_free it), else
 * freed. Returns 0 or -PD_HC_E_*.
 */
int pd_pchc_decode_request(const uint8_t *buf, size_t len,
			   struct pd_pchc_msg *msg, struct pd_ci **ci);

/* Encodes msg (info as given for a SEGMENT_INFO); bytes written or -PD_HC_E_*. */
long pd_pchc_encode_request(const struct pd_pchc_msg *msg, uint8_t *out,
			    size_t len);

/* The response body: {u32 Size = 1, u8 code}; 0 or -PD_HC_E_*. */
int pd_pchc_decode_response(const uint8_t *buf, size_t len, unsigned *code);
long pd_pchc_encode_response(unsigned code, uint8_t *out, size_t len);

/* The HashAlgorithm to offer content information of this version and algorithm with (0: none). */
unsigned pd_pchc_hash_from_ci(unsigned version, unsigned hash_alg);

const char *pd_pchc_strerror(int err);

#endif
