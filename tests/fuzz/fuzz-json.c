// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the JSON reader peerdist status uses on peerdistd's
 * state file. Whatever parses, every lookup the status command makes
 * stays inside the tokens and the text (ASan checks the bounds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct json_doc doc;

static void walk_listen(int root)
{
	int arr = json_get(&doc, root, "listen"), i;
	char addr[64];
	long long port;

	for (i = 0; i < json_count(&doc, arr); i++) {
		int item = json_item(&doc, arr, i);

		json_string(&doc, json_get(&doc, item, "address"), addr, sizeof(addr));
		json_int(&doc, json_get(&doc, item, "port"), &port);
		json_bool(&doc, json_get(&doc, item, "v6only"));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1), s[256];
	long long n;
	int i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	if (!json_parse(text, size, &doc)) {
		if (json_next(&doc, 0) != doc.n)
			abort();	/* the root spans every token */
		json_int(&doc, json_get(&doc, 0, "pid"), &n);
		json_string(&doc, json_get(&doc, 0, "cache_dir"), s, sizeof(s));
		walk_listen(0);
		for (i = 0; i < doc.n; i++)
			if (doc.tok[i].start < 0 || doc.tok[i].end > (int)size ||
			    doc.tok[i].end < doc.tok[i].start)
				abort();
	}
	free(text);
	return 0;
}
