// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HTTP/1.1 request framing as peerdistd reads it: python-peerdist's and
 * libpeerdist's GETBLKS heads parse; pipelined requests are found one
 * after another; a head split anywhere asks for more bytes until it is
 * whole; an oversized head is 431 and an oversized body 413; two different
 * Content-Length values are 400 (RFC 9112 6.3), the same one twice is
 * fine; chunked and a missing Content-Length are 411; malformed request
 * lines and fields are 400, HTTP/2.0 is 505; keep-alive follows the
 * version and Connection.
 */
#include "testutil.h"

#include <stdio.h>

#include "http_request.h"

#define PCCRR "/116B50EB-ECE2-41ac-8429-9F9E963361B7/"

static const char python_peerdist[] =
	"POST " PCCRR " HTTP/1.1\r\nHost: 10.0.0.2:3703\r\n"
	"Accept-Encoding: identity\r\nContent-Length: 68\r\n\r\n";

static long head(const char *s, struct pd_http_request *r)
{
	return pd_http_request_head(s, strlen(s), r);
}

static void real_client_heads(void **state)
{
	struct pd_http_request r;

	assert_int_equal(head(python_peerdist, &r), strlen(python_peerdist));
	assert_true(pd_http_request_method_is(&r, "POST"));
	assert_true(pd_http_request_target_is(&r, PCCRR));
	assert_true(pd_http_request_target_is(&r, "/116b50eb-ece2-41ac-8429-9f9e963361b7/"));
	assert_false(pd_http_request_target_is(&r, "/other/"));
	assert_int_equal(pd_http_request_body_len(&r, 98304), 68);
	assert_true(r.keep_alive);
}

static void pipelined(void **state)
{
	char buf[1024];
	struct pd_http_request r;
	size_t off = 0, n = 0;
	long len;

	for (int i = 0; i < 3; i++) {
		n += sprintf(buf + n, "%s", python_peerdist);
		memset(buf + n, 'a' + i, 68);
		n += 68;
	}
	for (int i = 0; i < 3; i++) {
		len = pd_http_request_head(buf + off, n - off, &r);
		assert_int_equal(len, strlen(python_peerdist));
		assert_int_equal(pd_http_request_body_len(&r, 98304), 68);
		assert_int_equal(buf[off + len], 'a' + i);
		off += len + 68;
	}
	assert_int_equal(off, n);
	assert_int_equal(pd_http_request_head(buf + off, 0, &r), 0);
}

static void split_anywhere(void **state)
{
	const size_t n = strlen(python_peerdist);
	struct pd_http_request r;

	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(pd_http_request_head(python_peerdist, cut, &r), 0);
	assert_int_equal(pd_http_request_head(python_peerdist, n, &r), n);
}

static void leading_blank_lines(void **state)
{
	struct pd_http_request r;
	char buf[512];

	snprintf(buf, sizeof(buf), "\r\n\r\n%s", python_peerdist);
	assert_int_equal(head(buf, &r), strlen(buf));
	assert_int_equal(r.content_length, 68);
}

static void oversized(void **state)
{
	size_t n = PD_HTTP_HEAD_MAX + 100;
	char *buf = malloc(n);
	struct pd_http_request r;
	int len;

	assert_non_null(buf);
	len = sprintf(buf, "POST / HTTP/1.1\r\nX: ");
	memset(buf + len, 'x', n - len);
	assert_int_equal(pd_http_request_head(buf, PD_HTTP_HEAD_MAX - 1, &r), 0);
	assert_int_equal(pd_http_request_head(buf, n, &r), -431);
	free(buf);
	assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 98305\r\n\r\n", &r) > 0, 1);
	assert_int_equal(pd_http_request_body_len(&r, 98304), -413);
	assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 1234567890123456\r\n\r\n", &r),
			 -400);
}

static void content_length_rules(void **state)
{
	struct pd_http_request r;

	assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 68\r\n"
			      "Content-Length: 69\r\n\r\n", &r), -400);
	assert_true(head("POST / HTTP/1.1\r\nContent-Length: 68\r\n"
			 "content-length:68 \r\n\r\n", &r) > 0);
	assert_int_equal(pd_http_request_body_len(&r, 98304), 68);
	assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &r), -400);
	assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 6 8\r\n\r\n", &r), -400);
	assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", &r), -400);
	assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 0x44\r\n\r\n", &r), -400);
	assert_true(head("POST / HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
	assert_int_equal(pd_http_request_body_len(&r, 98304), -411);
	assert_true(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &r) > 0);
	assert_int_equal(pd_http_request_body_len(&r, 98304), -411);
	assert_true(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
			 "Content-Length: 68\r\n\r\n", &r) > 0);
	assert_int_equal(pd_http_request_body_len(&r, 98304), -411);
}

static void malformed(void **state)
{
	static const char *const bad[] = {
		"POST\r\n\r\n",
		"POST /\r\n\r\n",
		"POST  / HTTP/1.1\r\n\r\n",
		"POST / HTTP/1.1 \r\n\r\n",
		"POST / http/1.1\r\n\r\n",
		"POST / HTTP/1.10\r\n\r\n",
		" POST / HTTP/1.1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost : a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost\r\n\r\n",
		"POST / HTTP/1.1\r\n: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\001\r\n\r\n",
		"PO\rST / HTTP/1.1\r\n\r\n",
	};
	struct pd_http_request r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(head(bad[i], &r), -400);
	assert_int_equal(head("POST / HTTP/2.0\r\n\r\n", &r), -505);
	assert_int_equal(pd_http_request_head("POST / HTTP/1.1\r\nA: \0\r\n\r\n", 26, &r), -400);
}

static void keep_alive(void **state)
{
	struct pd_http_request r;

	assert_true(head("POST / HTTP/1.0\r\n\r\n", &r) > 0);
	assert_false(r.keep_alive);
	assert_true(head("POST / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) > 0);
	assert_true(r.keep_alive);
	assert_true(head("POST / HTTP/1.1\r\nConnection: x, close\r\n\r\n", &r) > 0);
	assert_false(r.keep_alive);
	assert_true(head("POST / HTTP/1.1\r\nConnection: close, keep-alive\r\n\r\n", &r) > 0);
	assert_false(r.keep_alive);
	assert_true(head("GET /x HTTP/1.1\nHost: a\n\n", &r) > 0);
	assert_true(r.keep_alive);
	assert_true(pd_http_request_method_is(&r, "GET"));
	assert_false(pd_http_request_method_is(&r, "get"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_client_heads),
		cmocka_unit_test(pipelined),
		cmocka_unit_test(split_anywhere),
		cmocka_unit_test(leading_blank_lines),
		cmocka_unit_test(oversized),
		cmocka_unit_test(content_length_rules),
		cmocka_unit_test(malformed),
		cmocka_unit_test(keep_alive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
