/* inspect/idlepath: each CPU's idle path, the idle= boot option, whether
 * the host is a VM and whether its kernel has the haltpoll driver
 * (idlepath.h). */
#include "inspect/idlepath.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define HALTPOLL_MODULE "/sys/module/cpuidle_haltpoll"

const char *idle_kind_name(enum idle_kind k)
{
	switch (k) {
	case IDLE_KIND_BOOT_POLL: return "poll-boot";
	case IDLE_KIND_HALT: return "halt";
	case IDLE_KIND_POLL_ONLY: return "poll-only";
	case IDLE_KIND_NO_POLL: return "no-poll-state";
	case IDLE_KIND_STATES: return "states";
	default: return "unknown";
	}
}

/* ---------- /proc/cmdline ---------- */

/* The last idle= before "--" (what follows goes to init, not the kernel). */
static void read_cmdline(const struct host *h, struct idlepath *p)
{
	size_t len = 0;
	char *s = host_read(h, "/proc/cmdline", &len);
	if (!s)
		return;
	p->cmdline_read = true;
	for (char *save = NULL, *t = strtok_r(s, " \t\n", &save); t;
	     t = strtok_r(NULL, " \t\n", &save)) {
		if (!strcmp(t, "--"))
			break;
		if (!strncmp(t, "idle=", 5))
			copy_str(p->idle_opt, sizeof(p->idle_opt), t + 5);
	}
	free(s);
}

/* ---------- is this a VM ---------- */

static void evidence(struct idlepath *p, const char *what)
{
	size_t len = strlen(p->vm_evidence);
	snprintf(p->vm_evidence + len, sizeof(p->vm_evidence) - len, "%s%s", len ? "; " : "",
		 what);
}

static void found_vm(struct idlepath *p, const char *name, const char *what)
{
	p->vm = 1;
	if (name && name[0] && !p->hypervisor[0])
		copy_str(p->hypervisor, sizeof(p->hypervisor), name);
	evidence(p, what);
}

/* x86 sets the "hypervisor" flag under any hypervisor.  1 flag, 0 a flags
 * line without it (a machine of its own), -1 no flags line (not x86, or
 * no cpuinfo). */
static int cpuinfo_flag(const struct host *h)
{
	size_t len = 0;
	char *s = host_read(h, "/proc/cpuinfo", &len);
	if (!s)
		return -1;
	int found = -1;
	for (char *save = NULL, *l = strtok_r(s, "\n", &save); l && found < 0;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "flags", 5) || !strchr(l, ':'))
			continue;
		found = 0;
		for (char *w = strchr(l, ':') + 1, *ws = NULL, *t = strtok_r(w, " \t", &ws); t;
		     t = strtok_r(NULL, " \t", &ws))
			if (!strcmp(t, "hypervisor"))
				found = 1;
	}
	free(s);
	return found;
}

/* A paravirtual clocksource exists only inside its hypervisor's guests. */
static void clocksource(const struct host *h, struct idlepath *p)
{
	static const struct {
		const char *prefix, *name;
	} pv[] = { { "kvm-clock", "KVM" }, { "xen", "Xen" }, { "hyperv_clocksource", "Hyper-V" } };
	char line[256], what[96];
	if (host_read_line(h, "/sys/devices/system/clocksource/clocksource0/available_clocksource",
			   line, sizeof(line)) &&
	    host_read_line(h, "/sys/devices/system/clocksource/clocksource0/current_clocksource",
			   line, sizeof(line)))
		return;
	for (char *save = NULL, *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save))
		for (size_t i = 0; i < ARRAY_SIZE(pv); i++)
			if (!strncmp(t, pv[i].prefix, strlen(pv[i].prefix))) {
				snprintf(what, sizeof(what), "clocksource %s", t);
				found_vm(p, pv[i].name, what);
				return;
			}
}

/* DMI names the machine's maker: some makers are hypervisors. */
static void dmi(const struct host *h, struct idlepath *p)
{
	static const struct {
		const char *vendor, *product, *name;
	} vms[] = {
		{ "QEMU", NULL, "KVM/QEMU" },
		{ "VMware", NULL, "VMware" },
		{ "innotek GmbH", NULL, "VirtualBox" },
		{ "Xen", NULL, "Xen" },
		{ "Microsoft Corporation", "Virtual Machine", "Hyper-V" },
		{ "Google", "Google Compute Engine", "KVM (Google Compute Engine)" },
		{ "Red Hat", "KVM", "KVM" },
	};
	char vendor[128], product[128], what[300];
	if (!host_attr_str(h, "/sys/class/dmi/id", "sys_vendor", vendor, sizeof(vendor)))
		return;
	host_attr_str(h, "/sys/class/dmi/id", "product_name", product, sizeof(product));
	for (size_t i = 0; i < ARRAY_SIZE(vms); i++) {
		if (!strstr(vendor, vms[i].vendor) ||
		    (vms[i].product && !strstr(product, vms[i].product)))
			continue;
		snprintf(what, sizeof(what), "DMI sys_vendor '%s'", vendor);
		found_vm(p, vms[i].name, what);
		return;
	}
}

static void read_vm(const struct host *h, struct idlepath *p)
{
	char type[48], what[96];
	int flag = cpuinfo_flag(h);
	p->vm = -1;
	if (flag == 1)
		found_vm(p, NULL, "hypervisor flag in /proc/cpuinfo");
	if (!host_read_line(h, "/sys/hypervisor/type", type, sizeof(type)) && type[0]) {
		snprintf(what, sizeof(what), "/sys/hypervisor/type %s", type);
		found_vm(p, type, what);
	}
	clocksource(h, p);
	dmi(h, p);
	if (p->vm < 0 && flag == 0) {
		p->vm = 0;
		evidence(p, "no hypervisor flag in /proc/cpuinfo");
	}
}

/* ---------- the haltpoll driver ---------- */

/* CONFIG_HALTPOLL_CPUIDLE in /boot/config-RELEASE: 'y', 'm', 'n' (not set),
 * or 0 when the file cannot be read. */
static char config_haltpoll(const struct host *h, const char *kernel, char *path, size_t sz)
{
	if (!kernel[0] || strchr(kernel, '/') || !pathf(path, sz, "/boot/config-%s", kernel))
		return 0;
	size_t len = 0;
	char *s = host_read(h, path, &len);
	if (!s)
		return 0;
	char v = 'n';
	const char *hit = strstr(s, "\nCONFIG_HALTPOLL_CPUIDLE=");
	if (hit)
		v = hit[strlen("\nCONFIG_HALTPOLL_CPUIDLE=")];
	free(s);
	return v == 'y' || v == 'm' ? v : 'n';
}

static void read_haltpoll(const struct host *h, const struct cpuidle *idle, const char *kernel,
			  struct idlepath *p)
{
	char force[8], path[300];
	p->haltpoll = -1;
	p->haltpoll_force = -1;
	if (host_attr_str(h, HALTPOLL_MODULE "/parameters", "force", force, sizeof(force)))
		p->haltpoll_force = force[0] == 'Y' || force[0] == 'y' || force[0] == '1';
	if (!strcmp(idle->driver, "haltpoll")) {
		p->haltpoll = 1;
		copy_str(p->haltpoll_how, sizeof(p->haltpoll_how), "the active cpuidle driver");
		return;
	}
	if (host_is_dir(h, HALTPOLL_MODULE)) {
		p->haltpoll = 1;
		copy_str(p->haltpoll_how, sizeof(p->haltpoll_how), HALTPOLL_MODULE);
		return;
	}
	char v = config_haltpoll(h, kernel, path, sizeof(path));
	if (!v)
		return;
	p->haltpoll = v != 'n';
	p->haltpoll_module = v == 'm';
	snprintf(p->haltpoll_how, sizeof(p->haltpoll_how), "CONFIG_HALTPOLL_CPUIDLE%s in %s",
		 v == 'n' ? " not set" : v == 'm' ? "=m" : "=y", path);
}

/* ---------- per CPU ---------- */

static bool polls(const struct idle_state *s)
{
	return s->latency_us == 0 || !strcmp(s->name, "POLL");
}

static void classify(const struct idlepath *p, const struct cpuidle *idle,
		     const struct cpuidle_cpu *c, struct idle_cpu_path *out)
{
	memset(out, 0, sizeof(*out));
	out->cpu = c->cpu;
	out->first_latency_us = NA_U64;
	if (!strcmp(p->idle_opt, "poll")) {
		out->kind = IDLE_KIND_BOOT_POLL;
		return;
	}
	if (!strcmp(idle->driver, "none")) {
		out->kind = IDLE_KIND_HALT;
		return;
	}
	bool poll = false, other = false;
	const struct idle_state *first = NULL;
	for (size_t i = 0; i < c->nstates; i++) {
		const struct idle_state *s = &c->state[i];
		if (s->disabled == 1)
			continue;
		if (polls(s)) {
			poll = true;
			continue;
		}
		other = true;
		if (!first || (s->latency_us != NA_U64 &&
			       (first->latency_us == NA_U64 || s->latency_us < first->latency_us)))
			first = s;
	}
	if (first) {
		copy_str(out->first_name, sizeof(out->first_name), first->name);
		out->first_latency_us = first->latency_us;
	}
	if (!poll && !other)
		out->kind = IDLE_KIND_UNKNOWN; /* no driver name, no state: cannot tell */
	else if (!other)
		out->kind = IDLE_KIND_POLL_ONLY;
	else
		out->kind = poll ? IDLE_KIND_STATES : IDLE_KIND_NO_POLL;
}

int idlepath_read(const struct host *h, const struct cpuidle *idle, const char *kernel,
		  struct idlepath *out)
{
	memset(out, 0, sizeof(*out));
	read_cmdline(h, out);
	read_vm(h, out);
	read_haltpoll(h, idle, kernel ? kernel : "", out);
	if (!idle->n)
		return 0;
	out->cpu = calloc(idle->n, sizeof(*out->cpu));
	if (!out->cpu)
		return -ENOMEM;
	for (size_t i = 0; i < idle->n; i++)
		classify(out, idle, &idle->cpu[i], &out->cpu[out->n++]);
	return 0;
}

void idlepath_free(struct idlepath *p)
{
	if (!p)
		return;
	free(p->cpu);
	memset(p, 0, sizeof(*p));
}

const struct idle_cpu_path *idlepath_cpu(const struct idlepath *p, unsigned cpu)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->cpu[i].cpu == cpu)
			return &p->cpu[i];
	return NULL;
}

static void vm_suffix(const struct idlepath *p, char *buf, size_t sz)
{
	buf[0] = '\0';
	if (p->vm == 1)
		snprintf(buf, sz, " (VM%s%s)", p->hypervisor[0] ? ": " : "", p->hypervisor);
}

void idlepath_describe(const struct idlepath *p, const struct cpuidle *idle,
		       const struct idle_cpu_path *c, char *buf, size_t sz)
{
	char vm[64], ex[48] = "";
	vm_suffix(p, vm, sizeof(vm));
	if (c->first_latency_us != NA_U64)
		snprintf(ex, sizeof(ex), " (exit %llu us)", (unsigned long long)c->first_latency_us);
	const char *drv = idle->driver[0] ? idle->driver : "driver unknown";
	switch (c->kind) {
	case IDLE_KIND_BOOT_POLL:
		snprintf(buf, sz, "idle=poll: the CPU polls and never halts%s", vm);
		break;
	case IDLE_KIND_HALT:
		snprintf(buf, sz, "no cpuidle driver: idle is HLT%s", vm);
		break;
	case IDLE_KIND_POLL_ONLY:
		snprintf(buf, sz, "cpuidle %s: polling only, never halts%s", drv, vm);
		break;
	case IDLE_KIND_NO_POLL:
		snprintf(buf, sz, "cpuidle %s: no polling state, idles in %s first%s%s", drv,
			 c->first_name, ex, vm);
		break;
	case IDLE_KIND_STATES:
		snprintf(buf, sz, "cpuidle %s: POLL, then %s%s%s", drv, c->first_name, ex, vm);
		break;
	default:
		snprintf(buf, sz, "unknown (no cpuidle driver name or idle states here)%s", vm);
		break;
	}
}

bool idlepath_exit_unavoidable(const struct idlepath *p, const struct idle_cpu_path *c,
			       uint64_t min_us)
{
	if (c->kind == IDLE_KIND_HALT)
		return p->vm == 1;
	if (c->kind != IDLE_KIND_NO_POLL)
		return false;
	return p->vm == 1 || (c->first_latency_us != NA_U64 && c->first_latency_us >= min_us);
}
