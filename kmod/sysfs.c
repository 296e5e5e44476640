// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/peerdist: the tunables (read-write, root only) and the
 * counters (read-only), documented in
 * Documentation/ABI/testing/sysfs-kernel-peerdist.
 */
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include "backing.h"
#include "state.h"
#include "sysfs.h"

static struct kobject *pd_kobj;

static ssize_t enabled_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	struct pd_limits l;

	pd_limits_get(&l);
	return sysfs_emit(buf, "%d\n", l.enabled);
}

static ssize_t enabled_store(struct kobject *k, struct kobj_attribute *a,
			     const char *buf, size_t len)
{
	struct pd_limits l;
	bool on;
	int err;

	err = kstrtobool(buf, &on);
	if (err)
		return err;
	pd_limits_get(&l);
	l.enabled = on;
	err = pd_limits_set(&l);
	return err ? err : len;
}

static ssize_t cache_max_bytes_show(struct kobject *k, struct kobj_attribute *a,
				    char *buf)
{
	struct pd_limits l;

	pd_limits_get(&l);
	return sysfs_emit(buf, "%llu\n", l.cache_max_bytes);
}

static ssize_t cache_max_bytes_store(struct kobject *k, struct kobj_attribute *a,
				     const char *buf, size_t len)
{
	struct pd_limits l;
	u64 v;
	int err;

	err = kstrtou64(buf, 0, &v);
	if (err)
		return err;
	pd_limits_get(&l);
	l.cache_max_bytes = v;
	err = pd_limits_set(&l);
	return err ? err : len;
}

static ssize_t backing_dir_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return pd_backing_dir_show(buf);
}

static ssize_t backing_dir_store(struct kobject *k, struct kobj_attribute *a,
				 const char *buf, size_t len)
{
	int err = pd_backing_dir_set(buf, len);

	return err ? err : len;
}

static struct kobj_attribute enabled_attr = __ATTR_RW_MODE(enabled, 0644);
static struct kobj_attribute cache_max_bytes_attr = __ATTR_RW_MODE(cache_max_bytes, 0644);
static struct kobj_attribute backing_dir_attr = __ATTR_RW_MODE(backing_dir, 0644);

/* One show function for every counter: the attribute says which. */
struct pd_counter_attr {
	struct kobj_attribute attr;
	enum pd_counter counter;
};

static ssize_t counter_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	struct pd_counter_attr *ca = container_of(a, struct pd_counter_attr, attr);

	return sysfs_emit(buf, "%llu\n", pd_counter_read(ca->counter));
}

#define PD_COUNTER_ATTR(_name, _counter)				\
	{ .attr = __ATTR(_name, 0444, counter_show, NULL), .counter = _counter }

static struct pd_counter_attr counter_attrs[] = {
	PD_COUNTER_ATTR(cached_bytes, PD_CNT_CACHED_BYTES),
	PD_COUNTER_ATTR(segments, PD_CNT_SEGMENTS),
	PD_COUNTER_ATTR(hits, PD_CNT_HITS),
	PD_COUNTER_ATTR(misses, PD_CNT_MISSES),
	PD_COUNTER_ATTR(evictions, PD_CNT_EVICTIONS),
	PD_COUNTER_ATTR(hash_bytes, PD_CNT_HASH_BYTES),
	PD_COUNTER_ATTR(verify_failures, PD_CNT_VERIFY_FAILURES),
	PD_COUNTER_ATTR(objects, PD_CNT_OBJECTS),
};

static struct attribute *pd_attrs[4 + ARRAY_SIZE(counter_attrs)] = {
	&enabled_attr.attr,
	&cache_max_bytes_attr.attr,
	&backing_dir_attr.attr,
};

static const struct attribute_group pd_group = {
	.attrs = pd_attrs,
};

int pd_sysfs_init(void)
{
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(counter_attrs); i++)
		pd_attrs[3 + i] = &counter_attrs[i].attr.attr;
	pd_kobj = kobject_create_and_add("peerdist", kernel_kobj);
	if (!pd_kobj)
		return -ENOMEM;
	err = sysfs_create_group(pd_kobj, &pd_group);
	if (err)
		goto put_kobj;
	return 0;

put_kobj:
	kobject_put(pd_kobj);
	return err;
}

void pd_sysfs_exit(void)
{
	sysfs_remove_group(pd_kobj, &pd_group);
	kobject_put(pd_kobj);
}
