// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the local proxy reads from a request: absolute-form targets as curl
 * and apt send them (http and https, default and given ports, IPv6
 * literals, a query, an empty path); CONNECT authorities (a port is
 * required); userinfo, fragments, other schemes, bad ports and bad host
 * characters refused; header fields found one by one with their values
 * trimmed; hop-by-hop fields known.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>

#include "http_proxy.h"
#include "http_request.h"

static int target(const char *t, struct pd_http_authority *a, bool *https,
		  const char **path, size_t *plen)
{
	return pd_http_absolute_target(t, strlen(t), a, https, path, plen);
}

static void absolute_targets(void **state)
{
	struct pd_http_authority a;
	const char *path;
	size_t plen;
	bool https;

	assert_int_equal(target("http://deb.debian.org/debian/dists/x?y=1", &a, &https,
				&path, &plen), 0);
	assert_string_equal(a.host, "deb.debian.org");
	assert_int_equal(a.port, 80);
	assert_false(https);
	assert_int_equal(plen, strlen("/debian/dists/x?y=1"));
	assert_memory_equal(path, "/debian/dists/x?y=1", plen);
	assert_int_equal(target("HTTPS://h:8443", &a, &https, &path, &plen), 0);
	assert_true(https);
	assert_int_equal(a.port, 8443);
	assert_int_equal(plen, 0);
	assert_int_equal(target("http://[::1]:3128/a", &a, &https, &path, &plen), 0);
	assert_string_equal(a.host, "::1");
	assert_true(a.ipv6);
	assert_int_equal(a.port, 3128);
	assert_int_equal(target("http://127.0.0.1?q", &a, &https, &path, &plen), 0);
	assert_int_equal(a.port, 80);
	assert_int_equal(target("ftp://h/x", &a, &https, &path, &plen), -EPROTONOSUPPORT);
	assert_int_equal(target("/x", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("http://user:pw@h/x", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("http://h/x#frag", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("http:///x", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("http://h:0/", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("http://h:65536/", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("http://h:/", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("http://[::1/", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("http://[zz]/", &a, &https, &path, &plen), -EINVAL);
	assert_int_equal(target("://h/", &a, &https, &path, &plen), -EINVAL);
}

static void connect_authorities(void **state)
{
	struct pd_http_authority a;
	char longhost[300];

	assert_int_equal(pd_http_authority_parse("example.org:443", 15, 0, &a), 0);
	assert_string_equal(a.host, "example.org");
	assert_int_equal(a.port, 443);
	assert_int_equal(pd_http_authority_parse("[2001:db8::1]:22", 16, 0, &a), 0);
	assert_string_equal(a.host, "2001:db8::1");
	assert_int_equal(a.port, 22);
	assert_int_equal(pd_http_authority_parse("example.org", 11, 0, &a), -EINVAL);
	assert_int_equal(pd_http_authority_parse("[::1]x", 6, 0, &a), -EINVAL);
	assert_int_equal(pd_http_authority_parse(":80", 3, 0, &a), -EINVAL);
	assert_int_equal(pd_http_authority_parse("a b:80", 6, 0, &a), -EINVAL);
	assert_int_equal(pd_http_authority_parse("h:123456", 8, 0, &a), -EINVAL);
	memset(longhost, 'a', sizeof(longhost));
	memcpy(longhost + 290, ":80", 3);
	assert_int_equal(pd_http_authority_parse(longhost, 293, 0, &a), -EINVAL);
	/* the host is bounded by its buffer, not by the input */
	assert_int_equal(pd_http_authority_parse(longhost + 290 - 255, 258, 0, &a), 0);
	assert_int_equal(strlen(a.host), 255);
}

static void fields(void **state)
{
	static const char head[] = "\r\nGET http://h/ HTTP/1.1\r\nHost: h\r\n"
				   "Range:  bytes=0-9 \t\r\nX-Empty:\r\nConnection: close\r\n\r\n";
	struct pd_http_request r;
	struct pd_http_field f;
	long len = pd_http_request_head(head, strlen(head), &r);
	size_t pos = 0;

	assert_int_equal(len, strlen(head));
	assert_int_equal(pd_http_field_next(head, len, &pos, &f), 1);
	assert_true(pd_http_field_is(f.name, f.name_len, "host"));
	assert_int_equal(pd_http_field_next(head, len, &pos, &f), 1);
	assert_true(pd_http_field_is(f.name, f.name_len, "RANGE"));
	assert_int_equal(f.value_len, 9);
	assert_memory_equal(f.value, "bytes=0-9", 9);
	assert_int_equal(pd_http_field_next(head, len, &pos, &f), 1);
	assert_int_equal(f.value_len, 0);
	assert_int_equal(pd_http_field_next(head, len, &pos, &f), 1);
	assert_true(pd_http_hop_by_hop(f.name, f.name_len));
	assert_int_equal(pd_http_field_next(head, len, &pos, &f), 0);
	assert_int_equal(pd_http_field_next(head, len, &pos, &f), 0);
	assert_false(pd_http_hop_by_hop("Content-Type", 12));
	assert_true(pd_http_hop_by_hop("Proxy-Authorization", 19));
	assert_true(pd_http_hop_by_hop("transfer-encoding", 17));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(absolute_targets),
		cmocka_unit_test(connect_authorities),
		cmocka_unit_test(fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
