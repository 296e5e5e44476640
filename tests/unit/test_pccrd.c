// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * WS-Discovery for PeerDist V1: Probe and ProbeMatches round trips, the
 * literal element names a real client matches, other prefixes and a
 * python-peerdist style AppSequence accepted, and hostile XML (DTDs,
 * entities, depth, size, bad scopes, mismatched BlockCount) refused.
 */
#include "testutil.h"

#include "pccrd.h"

static struct pd_pccrd_msg m, back;
static char xml[PD_PCCRD_MAX_MESSAGE + 2];

static void fill_scopes(unsigned n)
{
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.nscopes = n;
	for (i = 0; i < n; i++) {
		m.scopes[i].len = 32;
		fill_pattern(m.scopes[i].id, 32, i + 1);
		m.block_counts[i] = i == 0 ? 42 : 512 - i;
	}
	strcpy(m.message_id, "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
}

static void probe_round_trip(void **state)
{
	long n;
	unsigned i;

	fill_scopes(3);
	n = pd_pccrd_write_probe(&m, xml, sizeof(xml));
	assert_true(n > 0);
	assert_non_null(strstr(xml, "MatchBy=\"http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0\""));
	assert_int_equal(pd_pccrd_parse(xml, n, &back), 0);
	assert_int_equal(back.kind, PD_WSD_PROBE);
	assert_string_equal(back.message_id, m.message_id);
	assert_int_equal(back.nscopes, 3);
	for (i = 0; i < 3; i++)
		assert_memory_equal(back.scopes[i].id, m.scopes[i].id, 32);
}

static void probe_matches_round_trip(void **state)
{
	long n;

	fill_scopes(2);
	strcpy(m.relates_to, "urn:uuid:11111111-2222-3333-4444-555555555555");
	strcpy(m.address, "urn:uuid:66666666-7777-8888-9999-000000000000");
	m.nxaddrs = 2;
	strcpy(m.xaddrs[0], "192.0.2.7:3703");
	strcpy(m.xaddrs[1], "[2001:db8::7]:3703");
	m.instance_id = 1732000000;
	m.message_number = 9;
	n = pd_pccrd_write_probe_matches(&m, xml, sizeof(xml));
	assert_true(n > 0);
	/* A real client matches these literally. */
	assert_non_null(strstr(xml, "<wsd:Scopes>"));
	assert_non_null(strstr(xml, "<wsd:XAddrs>192.0.2.7:3703 [2001:db8::7]:3703</wsd:XAddrs>"));
	assert_non_null(strstr(xml, "<PeerDist:BlockCount>0000002A000001FF</PeerDist:BlockCount>"));
	assert_int_equal(pd_pccrd_parse(xml, n, &back), 0);
	assert_int_equal(back.kind, PD_WSD_PROBE_MATCHES);
	assert_string_equal(back.relates_to, m.relates_to);
	assert_string_equal(back.address, m.address);
	assert_int_equal(back.nscopes, 2);
	assert_int_equal(back.block_counts[0], 42);
	assert_int_equal(back.block_counts[1], 511);
	assert_int_equal(back.nxaddrs, 2);
	assert_string_equal(back.xaddrs[1], "[2001:db8::7]:3703");
	assert_int_equal(back.instance_id, 1732000000);
	assert_int_equal(back.message_number, 9);
}

/* Other prefixes, default namespaces, AppSequence in the addressing
 * namespace and self-closing: all the same message. */
static void lenient_parsing(void **state)
{
	static const char other[] =
		"<e:Envelope xmlns:e='http://www.w3.org/2003/05/soap-envelope'"
		" xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing'"
		" xmlns:d='http://schemas.xmlsoap.org/ws/2005/04/discovery'>"
		"<e:Header><a:MessageID> urn:uuid:x </a:MessageID>"
		"<a:RelatesTo>urn:uuid:y</a:RelatesTo>"
		"<a:AppSequence InstanceId='5' MessageNumber='6'/></e:Header>"
		"<e:Body><d:ProbeMatches><d:ProbeMatch>"
		"<d:Types xmlns:p='http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery'>p:PeerDistData</d:Types>"
		"<d:Scopes>\n 491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9 \n</d:Scopes>"
		"<d:XAddrs>10.0.0.1:80</d:XAddrs>"
		"<BlockCount xmlns='http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery'>00000002</BlockCount>"
		"</d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>";

	assert_int_equal(pd_pccrd_parse(other, strlen(other), &back), 0);
	assert_int_equal(back.kind, PD_WSD_PROBE_MATCHES);
	assert_string_equal(back.message_id, "urn:uuid:x");
	assert_int_equal(back.instance_id, 5);
	assert_int_equal(back.nscopes, 1);
	assert_int_equal(back.scopes[0].id[0], 0x49);
	assert_int_equal(back.block_counts[0], 2);
}

static int parse_text(const char *s)
{
	return pd_pccrd_parse(s, strlen(s), &back);
}

#define HEAD "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope' " \
	"xmlns:d='http://schemas.xmlsoap.org/ws/2005/04/discovery' " \
	"xmlns:P='http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery'><s:Body>"
#define TAIL "</s:Body></s:Envelope>"
#define ID64 "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9"

static void hostile_xml(void **state)
{
	char *deep;
	int i;

	assert_int_equal(parse_text("<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>"),
			 -PD_RD_E_DTD);
	assert_int_equal(parse_text("<?xml version='1.0'?><!DOCTYPE s:Envelope SYSTEM 'http://x/'>"
				    HEAD TAIL), -PD_RD_E_DTD);
	assert_int_equal(parse_text(HEAD "<d:Probe>" TAIL), -PD_RD_E_XML);
	assert_int_equal(parse_text(HEAD TAIL), -PD_RD_E_KIND);
	assert_int_equal(parse_text(HEAD "<d:Probe><d:Types>P:Other</d:Types><d:Scopes>" ID64
				    "</d:Scopes></d:Probe>" TAIL), -PD_RD_E_NOT_PEERDIST);
	/* The prefix must resolve: an unbound one is not PeerDist. */
	assert_int_equal(parse_text(HEAD "<d:Probe><d:Types>Q:PeerDistData</d:Types></d:Probe>" TAIL),
			 -PD_RD_E_NOT_PEERDIST);
	assert_int_equal(parse_text(HEAD "<d:Probe><d:Types>P:PeerDistData</d:Types><d:Scopes>XYZ"
				    "</d:Scopes></d:Probe>" TAIL), -PD_RD_E_SCOPE);
	assert_int_equal(parse_text(HEAD "<d:ProbeMatches><d:Types>P:PeerDistData</d:Types>"
				    "<d:Scopes>" ID64 "</d:Scopes><P:BlockCount>0000000100000002"
				    "</P:BlockCount></d:ProbeMatches>" TAIL), -PD_RD_E_BLOCK_COUNT);
	assert_int_equal(parse_text(HEAD "<d:ProbeMatches><d:Types>P:PeerDistData</d:Types>"
				    "<d:Scopes>" ID64 "</d:Scopes><P:BlockCount>00000G01"
				    "</P:BlockCount></d:ProbeMatches>" TAIL), -PD_RD_E_BLOCK_COUNT);
	deep = malloc(64 * 7 + 1);
	deep[0] = '\0';
	for (i = 0; i < 64; i++)
		strcat(deep, "<a>");
	assert_int_equal(parse_text(deep), -PD_RD_E_LIMIT);
	free(deep);
	memset(xml, ' ', sizeof(xml));
	assert_int_equal(pd_pccrd_parse(xml, PD_PCCRD_MAX_MESSAGE + 1, &back), -PD_RD_E_LIMIT);
	assert_string_equal(pd_pccrd_strerror(-PD_RD_E_DTD),
			    "document type or entity declarations are refused");
}

static void writer_refuses_bad_input(void **state)
{
	fill_scopes(1);
	assert_int_equal(pd_pccrd_write_probe(&m, xml, 100), -PD_RD_E_BUFFER);
	strcpy(m.message_id, "<injected/>");
	assert_int_equal(pd_pccrd_write_probe(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
	fill_scopes(1);
	m.nxaddrs = 1;
	strcpy(m.xaddrs[0], "a b");
	assert_int_equal(pd_pccrd_write_probe_matches(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
	m.nscopes = 0;
	assert_int_equal(pd_pccrd_write_probe(&m, xml, sizeof(xml)), -PD_RD_E_BUFFER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe_round_trip),
		cmocka_unit_test(probe_matches_round_trip),
		cmocka_unit_test(lenient_parsing),
		cmocka_unit_test(hostile_xml),
		cmocka_unit_test(writer_refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
