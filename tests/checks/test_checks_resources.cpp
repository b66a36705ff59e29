// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"
#include "tests/support/http_server.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdint>
#include <optional>

#include <sched.h>
#include <sys/statvfs.h>

using namespace cell0ctl;

namespace {

std::optional<double> measured(const Finding& finding, std::string_view name)
{
  for (const Measurement& measurement : finding.measurements) {
    if (measurement.name == name) {
      return measurement.value;
    }
  }
  return std::nullopt;
}

// A stand-in Ollama whose /api/tags (as documented) lists llama3.1:8b, 4.6 GiB.
test::HttpServer ollama_server()
{
  return test::HttpServer(std::map<std::string, test::Reply>{
      {"GET /api/tags",
       {200,
        "application/json",
        R"({"models": [{"name": "llama3.1:8b", "model": "llama3.1:8b",
            "modified_at": "2026-10-02T11:04:21.512Z", "size": 4920753328,
            "digest": "46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e",
            "details": {"parent_model": "", "format": "gguf", "family": "llama",
                        "families": ["llama"], "parameter_size": "8.0B",
                        "quantization_level": "Q4_K_M"}}]})",
        false}},
  });
}

// Free bytes of the scratch filesystem, as the check measures them.
std::uint64_t free_bytes(const std::filesystem::path& path)
{
  struct statvfs vfs
  {};
  REQUIRE(::statvfs(path.c_str(), &vfs) == 0);
  return static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

int cpu_count()
{
  cpu_set_t set;
  CPU_ZERO(&set);
  REQUIRE(::sched_getaffinity(0, sizeof(set), &set) == 0);
  return CPU_COUNT(&set);
}

} // namespace

TEST_CASE("resources.memory")
{
  test::Host host;

  SUBCASE("a model larger than the available memory is a failure")
  {
    test::HttpServer ollama = ollama_server();
    host.endpoint("ollama", ollama.url());
    host.write_home("cell0.json",
                    R"({"agent": {"provider": "ollama", "model": "ollama/llama3.1:8b"}})");
    host.write("/proc/meminfo",
               "MemTotal:       16000000 kB\nMemFree:          900000 kB\n"
               "MemAvailable:    4000000 kB\n");
    const Finding finding = host.run("resources.memory");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "MEMORY_TOO_SMALL_FOR_MODEL");
    CHECK(finding.summary
          == "3.8 GiB available of 15.3 GiB; model llama3.1:8b needs about 5.5 GiB");
    CHECK(finding.remediation.find("ollama pull") != std::string::npos);
    CHECK(measured(finding, "model_size") == 4920753328.0);
    CHECK(measured(finding, "available") == 4000000.0 * 1024);
  }

  SUBCASE("a model that fits is ok")
  {
    test::HttpServer ollama = ollama_server();
    host.endpoint("ollama", ollama.url());
    host.write_home("cell0.json",
                    R"({"agent": {"provider": "ollama", "model": "ollama/llama3.1:8b"}})");
    host.write("/proc/meminfo", "MemTotal:       16000000 kB\nMemAvailable:   12000000 kB\n");
    const Finding finding = host.run("resources.memory");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary
          == "11.4 GiB available of 15.3 GiB; model llama3.1:8b needs about 5.5 GiB");
  }

  SUBCASE("no model and less memory than Cell 0 documents is a warning")
  {
    host.write("/proc/meminfo", "MemTotal:        4000000 kB\nMemAvailable:    3000000 kB\n");
    const Finding finding = host.run("resources.memory");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "MEMORY_BELOW_MINIMUM");
    CHECK(finding.summary == "2.9 GiB available of 3.8 GiB; Cell 0 documents 8.0 GiB at least");
  }

  SUBCASE("min_total lowers the documented minimum")
  {
    host.settings("checks:\n  resources.memory: {min_total: 2GiB}\n");
    host.write("/proc/meminfo", "MemTotal:        4000000 kB\nMemAvailable:    3000000 kB\n");
    const Finding finding = host.run("resources.memory");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "2.9 GiB available of 3.8 GiB");
  }
}

TEST_CASE("resources.disk")
{
  test::Host host;
  const std::uint64_t free = free_bytes(host.root());
  REQUIRE(free > 1024 * 1024);
  const auto limits = [&](std::uint64_t warn_below, std::uint64_t fail_below) {
    host.settings(fmt::format(
        "checks:\n  resources.disk: {{warn_below: {}, fail_below: {}}}\n", warn_below, fail_below));
  };

  SUBCASE("free space above warn_below is ok")
  {
    limits(free / 4, free / 8);
    const Finding finding = host.run("resources.disk");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary.find(" on the filesystem of /home/op/.cell0") != std::string::npos);
    CHECK(measured(finding, "free") > 0);
  }

  SUBCASE("free space below warn_below is a warning")
  {
    limits(free * 4, free / 4);
    const Finding finding = host.run("resources.disk");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "DISK_LOW");
    CHECK(finding.remediation.find("du -xsh /home/op/.cell0/*") != std::string::npos);
  }

  SUBCASE("free space below fail_below is a failure")
  {
    limits(free * 8, free * 4);
    const Finding finding = host.run("resources.disk");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "DISK_FULL");
  }
}

TEST_CASE("resources.cpu")
{
  test::Host host;
  const int cpus = cpu_count();

  SUBCASE("fewer CPUs than min is a warning")
  {
    host.settings(fmt::format("checks:\n  resources.cpu: {{min: {}}}\n", cpus + 1));
    const Finding finding = host.run("resources.cpu");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "CPU_BELOW_MINIMUM");
    CHECK(finding.summary
          == fmt::format("{} CPU{}; Cell 0 documents {} at least (8 recommended)",
                         cpus,
                         cpus == 1 ? "" : "s",
                         cpus + 1));
    CHECK(measured(finding, "cpus") == cpus);
  }

  SUBCASE("as many CPUs as min is ok")
  {
    host.settings(fmt::format("checks:\n  resources.cpu: {{min: {}}}\n", cpus));
    const Finding finding = host.run("resources.cpu");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == fmt::format("{} CPUs", cpus));
  }
}

TEST_CASE("resources.open-files")
{
  test::Host host;

  SUBCASE("cell0d's limit of 1024 is below 4096 and a warning")
  {
    host.process(4321, 1, {"python3", "/opt/c/cell0/cell0d.py"});
    host.settings("checks:\n  resources.open-files: {min: 4096}\n");
    const Finding finding = host.run("resources.open-files");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "OPEN_FILES_LOW");
    CHECK(finding.summary.find(
              "open-file limit of cell0d (pid 4321) is 1024; Cell 0 needs 4096 at least")
          == 0);
    CHECK(finding.remediation.find("LimitNOFILE=65536") != std::string::npos);
    CHECK(measured(finding, "open_files_limit") == 1024);
  }

  SUBCASE("a lower min is ok and names cell0d")
  {
    host.process(4321, 1, {"python3", "/opt/c/cell0/cell0d.py"});
    host.settings("checks:\n  resources.open-files: {min: 512}\n");
    const Finding finding = host.run("resources.open-files");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "open-file limit of cell0d (pid 4321) is 1024");
  }

  SUBCASE("without cell0d, this shell's own limit is judged")
  {
    host.settings("checks:\n  resources.open-files: {min: 1}\n");
    const Finding finding = host.run("resources.open-files");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary.find("open-file limit of this shell (cell0d is not running) is ") == 0);
  }
}
