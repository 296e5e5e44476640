// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What discovery advertises, against the retrieval service's listeners:
 * a dual-stack :: takes both families, a v6only :: and 0.0.0.0 one each,
 * an address bound alone only itself (a link-local one only on its
 * interface), nothing accepted gives nothing; the preferred address comes
 * first, other interfaces are never used. XAddrs carry the zone of a
 * link-local address, which a prober drops when it reads them; subnets
 * are matched on the Probe's interface.
 */
#include <arpa/inet.h>

#include "testutil.h"

#include "netif.h"
#include "peerdistd.h"

static struct pd_netif nifs[4];	/* eth0: v4, v6 link-local, v6 global; eth1: v4 */
static struct pd_listener ls[2];

static void set_nif(struct pd_netif *n, const char *name, unsigned index,
		    const char *addr, unsigned prefix)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->index = index;
	n->prefix_len = prefix;
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&n->addr)->sin_addr) == 1) {
		n->family = n->addr.ss_family = AF_INET;
		return;
	}
	n->family = n->addr.ss_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, addr,
				   &((struct sockaddr_in6 *)&n->addr)->sin6_addr), 1);
	if (!strncmp(addr, "fe80", 4))
		((struct sockaddr_in6 *)&n->addr)->sin6_scope_id = index;
}

static void set_listener(struct pd_listener *l, const char *addr, unsigned port,
			 int v6only, unsigned scope)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&l->addr;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&l->addr;

	memset(l, 0, sizeof(*l));
	l->v6only = v6only;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	in6->sin6_scope_id = scope;
}

static int setup(void **state)
{
	set_nif(&nifs[0], "eth0", 2, "10.0.0.1", 24);
	set_nif(&nifs[1], "eth0", 2, "fe80::1", 64);
	set_nif(&nifs[2], "eth0", 2, "fd00::1", 64);
	set_nif(&nifs[3], "eth1", 3, "10.1.0.1", 24);
	return 0;
}

/* The XAddr advertised for a Probe of family on ifindex ("" for none). */
static const char *advertised(unsigned nl, int family, unsigned ifindex,
			      const struct pd_netif *prefer)
{
	static char out[PD_NETIF_XADDR_MAX];
	const struct pd_netif *a;
	unsigned port = 0;

	a = pd_advertised(ls, nl, nifs, 4, family, ifindex, prefer, &port);
	out[0] = '\0';
	if (a)
		pd_netif_xaddr(a, port, 1, out, sizeof(out));
	return out;
}

static void test_dual_stack_wildcard(void **state)
{
	set_listener(&ls[0], "::", 3703, 0, 0);
	assert_string_equal(advertised(1, AF_INET, 2, NULL), "10.0.0.1:3703");
	assert_string_equal(advertised(1, AF_INET6, 2, NULL), "[fe80::1%eth0]:3703");
	assert_string_equal(advertised(1, AF_INET6, 2, &nifs[2]), "[fd00::1]:3703");
	assert_string_equal(advertised(1, AF_INET, 3, NULL), "10.1.0.1:3703");
	assert_string_equal(advertised(1, AF_INET6, 3, NULL), "");
}

static void test_one_family(void **state)
{
	set_listener(&ls[0], "::", 3703, 1, 0);
	assert_string_equal(advertised(1, AF_INET, 2, NULL), "");
	assert_string_equal(advertised(1, AF_INET6, 2, NULL), "[fe80::1%eth0]:3703");
	set_listener(&ls[0], "0.0.0.0", 3703, 0, 0);
	assert_string_equal(advertised(1, AF_INET, 2, &nifs[0]), "10.0.0.1:3703");
	assert_string_equal(advertised(1, AF_INET6, 2, &nifs[1]), "");
	/* Two sockets: each family from its own, with its own port. */
	set_listener(&ls[1], "::", 8080, 1, 0);
	assert_string_equal(advertised(2, AF_INET6, 2, &nifs[2]), "[fd00::1]:8080");
}

static void test_bound_address(void **state)
{
	set_listener(&ls[0], "127.0.0.1", 3703, 0, 0);
	assert_string_equal(advertised(1, AF_INET, 2, &nifs[0]), "");
	set_listener(&ls[0], "10.1.0.1", 3703, 0, 0);
	assert_string_equal(advertised(1, AF_INET, 2, &nifs[0]), "");
	assert_string_equal(advertised(1, AF_INET, 3, &nifs[3]), "10.1.0.1:3703");
	set_listener(&ls[0], "fd00::1", 3703, 1, 0);
	assert_string_equal(advertised(1, AF_INET6, 2, &nifs[1]), "[fd00::1]:3703");
	set_listener(&ls[0], "fe80::1", 3703, 1, 3);	/* fe80::1 of eth1 */
	assert_string_equal(advertised(1, AF_INET6, 2, NULL), "");
	set_listener(&ls[0], "fe80::1", 3703, 1, 2);
	assert_string_equal(advertised(1, AF_INET6, 2, NULL), "[fe80::1%eth0]:3703");
	set_listener(&ls[0], "::ffff:10.0.0.1", 3703, 0, 0);
	assert_string_equal(advertised(1, AF_INET, 2, NULL), "10.0.0.1:3703");
}

static void test_subnet_on_interface(void **state)
{
	struct sockaddr_in from = { .sin_family = AF_INET };

	inet_pton(AF_INET, "10.0.0.9", &from.sin_addr);
	assert_ptr_equal(pd_netif_subnet_of(nifs, 4, 2, (struct sockaddr *)&from), &nifs[0]);
	assert_ptr_equal(pd_netif_subnet_of(nifs, 4, 0, (struct sockaddr *)&from), &nifs[0]);
	/* eth0's subnet, arriving on eth1: not a neighbour there. */
	assert_null(pd_netif_subnet_of(nifs, 4, 3, (struct sockaddr *)&from));
}

static void test_xaddr_split(void **state)
{
	char host[64];
	unsigned long port;

	assert_int_equal(pd_netif_xaddr_split("[fe80::1%eth0]:3703", host, sizeof(host),
					      &port), 0);
	assert_string_equal(host, "[fe80::1]");
	assert_int_equal(port, 3703);
	assert_int_equal(pd_netif_xaddr_split("10.0.0.1:80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "10.0.0.1");
	assert_int_equal(port, 80);
	assert_int_equal(pd_netif_xaddr_split("10.0.0.1", host, sizeof(host), &port), -1);
	assert_int_equal(pd_netif_xaddr_split("10.0.0.1:65536", host, sizeof(host), &port), -1);
	assert_int_equal(pd_netif_xaddr_split("10.0.0.1:37x", host, sizeof(host), &port), -1);
	assert_int_equal(pd_netif_xaddr_split(":3703", host, sizeof(host), &port), -1);
	assert_int_equal(pd_netif_xaddr_split("[fd00::1]:3703", host, 8, &port), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dual_stack_wildcard, setup),
		cmocka_unit_test_setup(test_one_family, setup),
		cmocka_unit_test_setup(test_bound_address, setup),
		cmocka_unit_test_setup(test_subnet_on_interface, setup),
		cmocka_unit_test(test_xaddr_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
