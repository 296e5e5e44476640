// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MS-PCCRTP negotiation: the request headers (Accept-Encoding q-values,
 * X-P2P-PeerDist versions and MissingDataRequest, PeerDistEx bounds), every
 * rule of the decision, the response headers in the spec's own examples,
 * byte ranges, and the client's side (its request headers, and a reply's
 * headers read back).
 */
#include <errno.h>

#include "testutil.h"

#include "pccrtp.h"

static struct pd_pccrtp_request req;

static int hdr(const char *name, const char *value)
{
	return pd_pccrtp_request_header(&req, name, strlen(name), value, strlen(value));
}

/* A file an IIS would serve as peerdist: GET, 200, ETag, 1 MiB, hashed. */
static struct pd_pccrtp_entity file_entity(void)
{
	return (struct pd_pccrtp_entity){
		.get = true, .status = 200, .strong_etag = true,
		.length = 1 << 20, .hashes_ready = true,
	};
}

/* The first request of a Windows 8+ client (and of iPXE). */
static void windows_request(unsigned max_ci)
{
	pd_pccrtp_request_init(&req);
	assert_int_equal(hdr("Accept-Encoding", "gzip, deflate, peerdist"), 1);
	assert_int_equal(hdr("X-P2P-PeerDist", "Version=1.1"), 1);
	assert_int_equal(hdr("x-p2p-peerdistex", max_ci == 2 ?
			     "MinContentInformation=1.0, MaxContentInformation=2.0" :
			     "MinContentInformation=1.0, MaxContentInformation=1.0"), 1);
}

static enum pd_pccrtp_reason decide(const struct pd_pccrtp_entity *e,
				    struct pd_pccrtp_answer *a)
{
	return pd_pccrtp_decide(&req, e, a);
}

static void accept_encoding_qvalues(void **state)
{
	static const struct { const char *v; bool ok; int ret; } cases[] = {
		{ "peerdist", true, 1 },
		{ "gzip, deflate, peerdist", true, 1 },
		{ "PeerDist;q=0.5", true, 1 },
		{ "peerdist ; q=1.000", true, 1 },
		{ "peerdist;q=0", false, 1 },
		{ "peerdist;q=0.000, gzip", false, 1 },
		{ "gzip, *", false, 1 },		/* only by name */
		{ "peerdistx, xpeerdist", false, 1 },
		{ "peerdist;q=2", false, -EINVAL },
		{ "peerdist;q=0.0001", false, -EINVAL },
		{ "", false, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pd_pccrtp_request_init(&req);
		assert_int_equal(hdr("Accept-Encoding", cases[i].v), cases[i].ret);
		assert_int_equal(req.accept_peerdist, cases[i].ok);
	}
	/* the last mention decides; other headers are not ours */
	pd_pccrtp_request_init(&req);
	hdr("Accept-Encoding", "peerdist");
	hdr("Accept-Encoding", "peerdist;q=0");
	assert_false(req.accept_peerdist);
	assert_int_equal(hdr("Accept", "*/*"), 0);
}

static void peerdist_params(void **state)
{
	(void)state;
	pd_pccrtp_request_init(&req);
	assert_int_equal(hdr("X-P2P-PeerDist", "Version=1.0"), 1);
	assert_int_equal(req.version, PD_PCCRTP_V1_0);
	assert_int_equal(hdr("X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true"), 1);
	assert_int_equal(req.version, PD_PCCRTP_V1_1);
	assert_true(req.missing_data);
	/* 1.23 is above 1.3: major and minor are separate numbers */
	assert_int_equal(hdr("X-P2P-PeerDist", "Version=1.23"), 1);
	assert_true(req.version > PD_PCCRTP_VERSION(1, 3));
	assert_false(req.malformed);

	static const char *const bad[] = {
		"Version=1", "Version=1 .1", "Version=x.1", "Version=1.1, MissingDataRequest=yes",
		"MissingDataRequest=true", "Version", "Version=99999999999999999999999.1",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pd_pccrtp_request_init(&req);
		assert_int_equal(hdr("X-P2P-PeerDist", bad[i]), -EINVAL);
		assert_true(req.malformed);
	}
}

static void peerdist_ex_params(void **state)
{
	(void)state;
	pd_pccrtp_request_init(&req);
	assert_int_equal(hdr("X-P2P-PeerDistEx",
			     "MinContentInformation=1.0, MaxContentInformation=2.0, HashRequest=true"), 1);
	assert_true(req.ex);
	assert_int_equal(req.min_ci, PD_PCCRTP_CI_V1);
	assert_int_equal(req.max_ci, PD_PCCRTP_CI_V2);
	assert_true(req.hash_request);

	pd_pccrtp_request_init(&req);
	assert_int_equal(hdr("X-P2P-PeerDistEx", "MinContentInformation=1.0"), -EINVAL);
	pd_pccrtp_request_init(&req);
	assert_int_equal(hdr("X-P2P-PeerDistEx",
			     "MinContentInformation=2.0, MaxContentInformation=1.0"), -EINVAL);
	pd_pccrtp_request_init(&req);
	assert_int_equal(hdr("X-P2P-PeerDistEx", "HashRequest=true"), 1);
	assert_false(req.ex);
	pd_pccrtp_request_init(&req);	/* an item that is no parameter */
	assert_int_equal(hdr("X-P2P-PeerDistEx", "HashRequest=true, HashRequest"), -EINVAL);
	pd_pccrtp_request_init(&req);	/* empty items are nothing */
	assert_int_equal(hdr("X-P2P-PeerDistEx", ", HashRequest=true,,"), 1);
	assert_true(req.hash_request);
}

static void peerdist_answer_v1_v2(void **state)
{
	struct pd_pccrtp_entity e = file_entity();
	struct pd_pccrtp_answer a;

	(void)state;
	windows_request(1);
	assert_int_equal(decide(&e, &a), PD_PCCRTP_SEND_PEERDIST);
	assert_true(a.peerdist);
	assert_int_equal(a.ci_version, 1);
	assert_int_equal(a.version, PD_PCCRTP_V1_1);
	assert_true(a.vary);
	assert_int_equal(a.length, 1 << 20);

	windows_request(2);
	assert_int_equal(decide(&e, &a), PD_PCCRTP_SEND_PEERDIST);
	assert_int_equal(a.ci_version, 2);

	/* Windows 7: Version=1.0 and no PeerDistEx: V1, answered as 1.0 */
	pd_pccrtp_request_init(&req);
	hdr("Accept-Encoding", "peerdist");
	hdr("X-P2P-PeerDist", "Version=1.0");
	assert_int_equal(decide(&e, &a), PD_PCCRTP_SEND_PEERDIST);
	assert_int_equal(a.ci_version, 1);
	assert_int_equal(a.version, PD_PCCRTP_V1_0);

	/* bounds that hold no version we make: identity */
	pd_pccrtp_request_init(&req);
	hdr("Accept-Encoding", "peerdist");
	hdr("X-P2P-PeerDist", "Version=1.1");
	hdr("X-P2P-PeerDistEx", "MinContentInformation=3.0, MaxContentInformation=4.0");
	assert_int_equal(decide(&e, &a), PD_PCCRTP_NO_CI_VERSION);
	assert_false(a.peerdist);
	/* a client newer than us gets 1.1 */
	pd_pccrtp_request_init(&req);
	hdr("Accept-Encoding", "peerdist");
	hdr("X-P2P-PeerDist", "Version=2.0");
	assert_int_equal(decide(&e, &a), PD_PCCRTP_SEND_PEERDIST);
	assert_int_equal(a.version, PD_PCCRTP_V1_1);
}

static void identity_rules(void **state)
{
	struct pd_pccrtp_entity e;
	struct pd_pccrtp_answer a;

	(void)state;
	windows_request(2);
	e = file_entity(), e.get = false;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_NOT_GET);
	assert_false(a.vary);
	e = file_entity(), e.status = 404;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_NOT_200);
	e = file_entity(), e.strong_etag = false;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_NO_VALIDATOR);
	e.last_modified = true;			/* Last-Modified alone is enough */
	assert_int_equal(decide(&e, &a), PD_PCCRTP_SEND_PEERDIST);
	e = file_entity(), e.length = PD_PCCRTP_MIN_SIZE_DEFAULT - 1;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_TOO_SMALL);
	e.length = PD_PCCRTP_MIN_SIZE_DEFAULT;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_SEND_PEERDIST);
	e.min_size = 1 << 21;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_TOO_SMALL);

	/* no peerdist in Accept-Encoding; Version missing */
	e = file_entity();
	pd_pccrtp_request_init(&req);
	hdr("Accept-Encoding", "gzip");
	hdr("X-P2P-PeerDist", "Version=1.1");
	assert_int_equal(decide(&e, &a), PD_PCCRTP_NOT_ACCEPTED);
	assert_true(a.vary);
	pd_pccrtp_request_init(&req);
	hdr("Accept-Encoding", "peerdist");
	assert_int_equal(decide(&e, &a), PD_PCCRTP_NOT_ACCEPTED);

	/* a malformed PeerDist header: identity, never a guess */
	windows_request(2);
	hdr("X-P2P-PeerDist", "Version=banana");
	assert_int_equal(decide(&e, &a), PD_PCCRTP_MALFORMED);
}

static void missing_data_is_partial_identity(void **state)
{
	struct pd_pccrtp_entity e = file_entity();
	struct pd_pccrtp_answer a;

	(void)state;
	pd_pccrtp_request_init(&req);
	hdr("X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true");
	e.range = true, e.range_start = 65536, e.range_end = 131072;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_MISSING_DATA);
	assert_false(a.peerdist);
	assert_int_equal(a.offset, 65536);
	assert_int_equal(a.length, 65536);
}

static void range_gets_its_content_information(void **state)
{
	struct pd_pccrtp_entity e = file_entity();
	struct pd_pccrtp_answer a;
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];

	(void)state;
	windows_request(1);
	e.range = true, e.range_start = 100, e.range_end = 200100;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_SEND_PEERDIST);
	assert_int_equal(a.offset, 100);
	assert_int_equal(a.length, 200000);
	assert_int_equal(pd_pccrtp_response_headers(&a, h), 3);
	assert_string_equal(h[1].value, "Version=1.1, ContentLength=200000");
}

static void not_hashed_makes_hash_request(void **state)
{
	struct pd_pccrtp_entity e = file_entity();
	struct pd_pccrtp_answer a;
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];

	(void)state;
	windows_request(2);
	e.hashes_ready = false;
	assert_int_equal(decide(&e, &a), PD_PCCRTP_NOT_HASHED);
	assert_false(a.peerdist);
	assert_int_equal(a.ci_version, 2);
	/* the spec's example: Version=1.1 and MakeHashRequest=true on the identity body */
	assert_int_equal(pd_pccrtp_response_headers(&a, h), 3);
	assert_string_equal(h[0].name, "X-P2P-PeerDist");
	assert_string_equal(h[0].value, "Version=1.1");
	assert_string_equal(h[1].name, "X-P2P-PeerDistEx");
	assert_string_equal(h[1].value, "MakeHashRequest=true");
	assert_string_equal(h[2].name, "Vary");
	assert_string_equal(h[2].value, "Accept-Encoding");
}

static void response_headers_spec_example(void **state)
{
	struct pd_pccrtp_answer a = {
		.peerdist = true, .version = PD_PCCRTP_V1_1, .length = 184946, .vary = true,
	};
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];

	(void)state;
	assert_int_equal(pd_pccrtp_response_headers(&a, h), 3);
	assert_string_equal(h[0].name, "Content-Encoding");
	assert_string_equal(h[0].value, "peerdist");
	assert_string_equal(h[1].name, "X-P2P-PeerDist");
	assert_string_equal(h[1].value, "Version=1.1, ContentLength=184946");
	a = (struct pd_pccrtp_answer){ 0 };
	assert_int_equal(pd_pccrtp_response_headers(&a, h), 0);
}

static void byte_ranges(void **state)
{
	static const struct { const char *v; int ret; uint64_t s, e; } cases[] = {
		{ "bytes=0-99", 0, 0, 100 },
		{ "bytes=100-", 0, 100, 1000 },
		{ "bytes=-10", 0, 990, 1000 },
		{ "bytes=-5000", 0, 0, 1000 },
		{ "bytes=900-5000", 0, 900, 1000 },
		{ " BYTES=1-1", 0, 1, 2 },
		{ "bytes=1000-", -ERANGE, 0, 0 },
		{ "bytes=-0", -ERANGE, 0, 0 },
		{ "bytes=0-1,5-6", -EINVAL, 0, 0 },
		{ "bytes=5-1", -EINVAL, 0, 0 },
		{ "items=0-1", -EINVAL, 0, 0 },
		{ "bytes=a-", -EINVAL, 0, 0 },
		{ "bytes=", -EINVAL, 0, 0 },
		{ "bytes=18446744073709551616-", -EINVAL, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t s = 0, e = 0;

		assert_int_equal(pd_pccrtp_parse_range(cases[i].v, strlen(cases[i].v),
						       1000, &s, &e), cases[i].ret);
		if (!cases[i].ret) {
			assert_int_equal(s, cases[i].s);
			assert_int_equal(e, cases[i].e);
		}
	}
}

static void client_headers_round_trip(void **state)
{
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];
	struct pd_pccrtp_entity e = file_entity();
	struct pd_pccrtp_answer a;
	unsigned n, i;

	(void)state;
	n = pd_pccrtp_client_headers(PD_PCCRTP_ASK_CI, PD_PCCRTP_CI_V2, h);
	assert_int_equal(n, 3);
	assert_string_equal(h[2].value, "MinContentInformation=1.0, MaxContentInformation=2.0");
	pd_pccrtp_request_init(&req);
	for (i = 0; i < n; i++)
		assert_int_equal(hdr(h[i].name, h[i].value), 1);
	assert_int_equal(decide(&e, &a), PD_PCCRTP_SEND_PEERDIST);
	assert_int_equal(a.ci_version, 2);

	n = pd_pccrtp_client_headers(PD_PCCRTP_ASK_HASHES, PD_PCCRTP_CI_V1, h);
	assert_string_equal(h[2].value,
			    "MinContentInformation=1.0, MaxContentInformation=1.0, HashRequest=true");

	n = pd_pccrtp_client_headers(PD_PCCRTP_ASK_MISSING, PD_PCCRTP_CI_V2, h);
	pd_pccrtp_request_init(&req);
	for (i = 0; i < n; i++)
		assert_int_equal(hdr(h[i].name, h[i].value), 1);
	assert_int_equal(decide(&e, &a), PD_PCCRTP_MISSING_DATA);
}

static int reply(struct pd_pccrtp_reply *p, const char *name, const char *value)
{
	return pd_pccrtp_reply_header(p, name, strlen(name), value, strlen(value));
}

static void reply_parsing(void **state)
{
	struct pd_pccrtp_reply p;

	(void)state;
	pd_pccrtp_reply_init(&p);
	assert_int_equal(reply(&p, "Content-Encoding", "PeerDist"), 1);
	assert_int_equal(reply(&p, "X-P2P-PeerDist", "Version=1.1, ContentLength=184946"), 1);
	assert_int_equal(reply(&p, "ETag", "\"x\""), 0);
	assert_true(pd_pccrtp_reply_usable(&p));
	assert_int_equal(p.content_length, 184946);

	pd_pccrtp_reply_init(&p);
	reply(&p, "X-P2P-PeerDist", "Version=1.1");
	reply(&p, "X-P2P-PeerDistEx", "MakeHashRequest=true");
	assert_true(p.make_hash_request);
	assert_false(pd_pccrtp_reply_usable(&p));

	pd_pccrtp_reply_init(&p);
	reply(&p, "Content-Encoding", "peerdist, gzip");
	reply(&p, "X-P2P-PeerDist", "Version=1.1, ContentLength=5");
	assert_false(pd_pccrtp_reply_usable(&p));		/* stacked codings */

	pd_pccrtp_reply_init(&p);
	reply(&p, "Content-Encoding", "peerdist");
	assert_int_equal(reply(&p, "X-P2P-PeerDist", "Version=1.1, ContentLength=-1"), -EINVAL);
	assert_false(pd_pccrtp_reply_usable(&p));

	pd_pccrtp_reply_init(&p);
	reply(&p, "Content-Encoding", "peerdist");
	assert_int_equal(reply(&p, "X-P2P-PeerDist", "Version=1.1, ContentLength"), -EINVAL);
	pd_pccrtp_reply_init(&p);
	reply(&p, "Content-Encoding", "peerdist");
	reply(&p, "X-P2P-PeerDist", ",Version=1.1, , ContentLength=5,");
	assert_true(pd_pccrtp_reply_usable(&p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accept_encoding_qvalues),
		cmocka_unit_test(peerdist_params),
		cmocka_unit_test(peerdist_ex_params),
		cmocka_unit_test(peerdist_answer_v1_v2),
		cmocka_unit_test(identity_rules),
		cmocka_unit_test(missing_data_is_partial_identity),
		cmocka_unit_test(range_gets_its_content_information),
		cmocka_unit_test(not_hashed_makes_hash_request),
		cmocka_unit_test(response_headers_spec_example),
		cmocka_unit_test(byte_ranges),
		cmocka_unit_test(client_headers_round_trip),
		cmocka_unit_test(reply_parsing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
