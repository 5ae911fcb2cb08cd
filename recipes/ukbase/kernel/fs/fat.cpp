// Read-only FAT12/16/32 (Microsoft's "FAT: General Overview of On-Disk
// Format", 1.03). The FAT type follows from the number of data clusters,
// as the specification says, not from the label in the boot sector.
#include "fat.hpp"

#include "kernel/utf8.hpp"

#include <cerrno>
#include <cstring>

namespace ukbase::fat {

namespace {

constexpr uint8_t ATTR_VOLUME = 0x08;
constexpr uint8_t ATTR_DIR = 0x10;
constexpr uint8_t ATTR_LFN = 0x0F;           // read-only|hidden|system|volume
constexpr uint8_t NT_LOWER_BASE = 0x08;      // byte 12: 8.3 name shown in lower case
constexpr uint8_t NT_LOWER_EXT = 0x10;
constexpr size_t MAX_DIR_BYTES = 2u << 20;   // 65536 entries
constexpr size_t MAX_CACHED_FAT = 4u << 20;

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t fat_time(uint16_t date, uint16_t time)
{
  unsigned month = (date >> 5) & 15, day = date & 31;
  if (!date || month < 1 || month > 12 || day < 1)
    return 0;
  return days_from_civil(1980 + (date >> 9), month, day) * 86400
       + (time >> 11) * 3600 + ((time >> 5) & 63) * 60 + (time & 31) * 2;
}

std::string utf16_to_utf8(const uint16_t* u, size_t n)
{
  std::string s;
  for (size_t i = 0; i < n && u[i]; i++) {
    uint32_t c = u[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] < 0xE000)
      c = 0x10000 + ((c - 0xD800) << 10) + (u[++i] - 0xDC00);
    ukbase::append_utf8(s, c);
  }
  return s;
}

uint8_t short_name_checksum(const uint8_t* name11)
{
  uint8_t sum = 0;
  for (int i = 0; i < 11; i++)
    sum = uint8_t(((sum & 1) << 7) + (sum >> 1) + name11[i]);
  return sum;
}

std::string trimmed(const uint8_t* p, size_t n, bool lower)
{
  while (n && p[n - 1] == ' ')
    n--;
  std::string s(reinterpret_cast<const char*>(p), n);
  if (lower)
    for (auto& c : s)
      if (c >= 'A' && c <= 'Z')
        c = char(c - 'A' + 'a');
  return s;
}

bool same_name(std::string_view a, std::string_view b)
{
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y)
      return false;
  }
  return true;
}

// A folder's raw 32-byte records, long names assembled.
void parse_dir(const std::vector<uint8_t>& raw, std::vector<Entry>& out, bool dots)
{
  uint16_t lfn[20 * 13];
  unsigned lfn_expect = 0;          // sequence number the next LFN record must have
  uint8_t lfn_sum = 0;
  bool lfn_ok = false;
  for (size_t off = 0; off + 32 <= raw.size(); off += 32) {
    const uint8_t* e = &raw[off];
    if (e[0] == 0x00)
      break;                        // end of the folder
    if (e[0] == 0xE5) {             // deleted
      lfn_ok = false;
      continue;
    }
    uint8_t attr = e[11];
    if ((attr & 0x3F) == ATTR_LFN) {
      unsigned seq = e[0] & 0x1F;
      if (e[0] & 0x40) {            // the last part comes first
        lfn_ok = seq >= 1 && seq <= 20;
        lfn_sum = e[13];
        if (lfn_ok)
          std::fill(lfn, lfn + seq * 13, uint16_t(0));
      } else if (!lfn_ok || seq != lfn_expect - 1 || e[13] != lfn_sum) {
        lfn_ok = false;
      }
      lfn_expect = seq;
      if (lfn_ok) {
        static const uint8_t at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
        for (int i = 0; i < 13; i++) {
          uint16_t c = le16(e + at[i]);
          lfn[(seq - 1) * 13 + i] = c == 0xFFFF ? 0 : c;
        }
      }
      continue;
    }
    bool had_lfn = lfn_ok && lfn_expect == 1 && short_name_checksum(e) == lfn_sum;
    lfn_ok = false;
    if (attr & ATTR_VOLUME)
      continue;
    bool dot = e[0] == '.' && (e[1] == ' ' || (e[1] == '.' && e[2] == ' '));
    if (dot && !dots)               // "." and ".."
      continue;
    Entry en;
    uint8_t base[8];
    std::memcpy(base, e, 8);
    if (base[0] == 0x05)            // a name really starting with 0xE5
      base[0] = 0xE5;
    std::string b = trimmed(base, 8, false), x = trimmed(e + 8, 3, false);
    en.short_name = x.empty() ? b : b + "." + x;
    if (had_lfn) {
      en.name = utf16_to_utf8(lfn, sizeof lfn / sizeof lfn[0]);
    } else {
      std::string lb = trimmed(base, 8, e[12] & NT_LOWER_BASE);
      std::string lx = trimmed(e + 8, 3, e[12] & NT_LOWER_EXT);
      en.name = lx.empty() ? lb : lb + "." + lx;
    }
    en.dir = (attr & ATTR_DIR) != 0;
    en.cluster = (uint32_t(le16(e + 20)) << 16) | le16(e + 26);
    en.size = en.dir ? 0 : le32(e + 28);
    en.mtime = fat_time(le16(e + 24), le16(e + 22));
    en.attr = attr;
    en.stamp = uint32_t(le16(e + 24)) << 16 | le16(e + 22);
    if (dot)
      en.name = en.short_name = e[1] == '.' ? ".." : ".";
    out.push_back(std::move(en));
  }
}

}  // namespace

int64_t unix_time(uint16_t date, uint16_t time)
{
  return fat_time(date, time);
}

bool Volume::is_boot_sector(const uint8_t* bs)
{
  if (bs[510] != 0x55 || bs[511] != 0xAA || (bs[0] != 0xEB && bs[0] != 0xE9))
    return false;
  uint32_t bps = le16(bs + 11), spc = bs[13];
  return bps >= 512 && bps <= 4096 && !(bps & (bps - 1)) && spc && !(spc & (spc - 1))
      && le16(bs + 14) && bs[16] && (le16(bs + 19) || le32(bs + 32));
}

bool Volume::mount(hw::Block_device& dev, uint64_t lba, uint64_t sectors)
{
  const uint64_t block = dev.block_size();
  if (block < 512 || block > 4096 || sectors < 1 || lba >= dev.size() || sectors > dev.size() - lba)
    return false;
  dev_ = &dev;
  base_ = lba * block;
  uint8_t bs[512];
  if (!bytes(0, sizeof bs, bs) || !is_boot_sector(bs)) {
    dev_ = nullptr;
    return false;
  }
  uint32_t bps = le16(bs + 11), spc = bs[13], reserved = le16(bs + 14), nfats = bs[16];
  uint32_t root_entries = le16(bs + 17);
  uint32_t total = le16(bs + 19) ? le16(bs + 19) : le32(bs + 32);
  uint32_t fat_sectors = le16(bs + 22) ? le16(bs + 22) : le32(bs + 36);
  uint32_t root_sectors = (root_entries * 32 + bps - 1) / bps;
  uint64_t first_data = reserved + uint64_t(nfats) * fat_sectors + root_sectors;
  dev_ = nullptr;
  if (!fat_sectors || first_data >= total || uint64_t(total) * bps > sectors * block)
    return false;
  clusters_ = static_cast<uint32_t>((total - first_data) / spc);
  bits_ = clusters_ < 4085 ? 12 : clusters_ < 65525 ? 16 : 32;

  dev_ = &dev;
  bytes_per_sector_ = bps;
  cluster_bytes_ = bps * spc;
  total_sectors_ = total;
  fat_offset_ = uint64_t(reserved) * bps;
  fat_size_ = uint64_t(fat_sectors) * bps;
  root_offset_ = fat_offset_ + nfats * fat_size_;
  root_size_ = uint64_t(root_sectors) * bps;
  data_offset_ = first_data * bps;
  root_cluster_ = bits_ == 32 ? le32(bs + 44) : 0;
  label_ = trimmed(bs + (bits_ == 32 ? 71 : 43), 11, false);
  if (label_ == "NO NAME")
    label_.clear();
  fat_window_at_ = ~0ull;

  // The table itself: kept in memory when it is small (nearly always;
  // a 2 GiB FAT32 volume with 4 KiB clusters has a 2 MiB table).
  uint64_t needed = (uint64_t(clusters_) + 2) * bits_ / 8 + 2;
  fat_.clear();
  if ((bits_ == 32 && root_entries) || needed > fat_size_) {
    dev_ = nullptr;
    return false;
  }
  if (needed <= MAX_CACHED_FAT) {
    fat_.resize(static_cast<size_t>(needed));
    if (!bytes(fat_offset_, fat_.size(), fat_.data())) {
      dev_ = nullptr;
      return false;
    }
  }
  return true;
}

bool Volume::bytes(uint64_t off, size_t len, void* dst)
{
  return dev_ && ukbase::read_bytes(*dev_, base_ + off, len, dst);
}

Entry Volume::root() const
{
  Entry e;
  e.dir = true;
  e.cluster = root_cluster_;
  return e;
}

bool Volume::fat_bytes(uint64_t off, uint8_t* out, unsigned n)
{
  if (!fat_.empty()) {
    if (off + n > fat_.size())
      return false;
    std::memcpy(out, &fat_[off], n);
    return true;
  }
  // One sector of the table at a time (FAT16/32 entries never straddle).
  uint64_t at = off / bytes_per_sector_ * bytes_per_sector_;
  if (at != fat_window_at_) {
    fat_window_.resize(bytes_per_sector_);
    if (!bytes(fat_offset_ + at, bytes_per_sector_, fat_window_.data()))
      return false;
    fat_window_at_ = at;
  }
  if (off - at + n > bytes_per_sector_)
    return false;
  std::memcpy(out, &fat_window_[off - at], n);
  return true;
}

uint32_t Volume::next_cluster(uint32_t c)
{
  uint8_t b[4];
  uint32_t v;
  if (bits_ == 12) {
    if (!fat_bytes(c + c / 2, b, 2))
      return 0;
    v = le16(b);
    v = (c & 1) ? v >> 4 : v & 0xFFF;
    if (v >= 0xFF7)
      return 0;
  } else if (bits_ == 16) {
    if (!fat_bytes(uint64_t(c) * 2, b, 2))
      return 0;
    v = le16(b);
    if (v >= 0xFFF7)
      return 0;
  } else {
    if (!fat_bytes(uint64_t(c) * 4, b, 4))
      return 0;
    v = le32(b) & 0x0FFFFFFF;
    if (v >= 0x0FFFFFF7)
      return 0;
  }
  return v >= 2 && v < clusters_ + 2 ? v : 0;   // free or out of range: the end
}

uint64_t Volume::cluster_offset(uint32_t cluster) const
{
  return data_offset_ + uint64_t(cluster - 2) * cluster_bytes_;
}

int Volume::read_dir(const Entry& dir, std::vector<uint8_t>& raw)
{
  if (!dir.dir)
    return -ENOTDIR;
  if (dir.cluster == 0 && bits_ == 32)          // ".." of a folder in the root
    return root_cluster_ >= 2 ? read_dir(root(), raw) : -EIO;
  if (dir.cluster == 0) {           // the FAT12/16 root: a fixed region
    raw.resize(static_cast<size_t>(root_size_));
    return bytes(root_offset_, raw.size(), raw.data()) ? 0 : -EIO;
  }
  raw.clear();
  uint32_t c = dir.cluster;
  for (uint32_t steps = 0; c >= 2 && steps <= clusters_; steps++) {
    size_t at = raw.size();
    if (at + cluster_bytes_ > MAX_DIR_BYTES)
      break;
    raw.resize(at + cluster_bytes_);
    if (!bytes(cluster_offset(c), cluster_bytes_, &raw[at]))
      return -EIO;
    // Stop early at the end marker: most folders use part of a cluster.
    bool ended = false;
    for (size_t off = at; off < raw.size(); off += 32)
      if (raw[off] == 0) {
        ended = true;
        break;
      }
    if (ended)
      break;
    c = next_cluster(c);
  }
  return 0;
}

int Volume::list(const Entry& dir, std::vector<Entry>& out, bool dots)
{
  std::vector<uint8_t> raw;
  if (int err = read_dir(dir, raw))
    return err;
  parse_dir(raw, out, dots);
  return 0;
}

int Volume::find(const Entry& dir, std::string_view name, Entry& out)
{
  std::vector<Entry> entries;
  if (int err = list(dir, entries, true))
    return err;
  for (auto& e : entries) {
    if (same_name(e.name, name) || same_name(e.short_name, name)) {
      out = std::move(e);
      return 0;
    }
  }
  return -ENOENT;
}

long Volume::read(const Entry& file, uint64_t off, void* buf_, size_t len, Cursor& cur)
{
  auto* buf = static_cast<uint8_t*>(buf_);
  if (file.dir)
    return -EISDIR;
  if (off >= file.size || !len)
    return 0;
  if (len > file.size - off)
    len = static_cast<size_t>(file.size - off);
  const uint32_t cb = cluster_bytes_;
  uint32_t want = static_cast<uint32_t>(off / cb);

  // Walk to the cluster holding `off`, from the cursor when it is not past it.
  if (!cur.cluster || cur.index > want) {
    cur.index = 0;
    cur.cluster = file.cluster;
  }
  while (cur.index < want && cur.cluster) {
    cur.cluster = next_cluster(cur.cluster);
    cur.index++;
  }
  if (cur.cluster < 2)
    return -EIO;

  size_t done = 0;
  while (done < len) {
    // The run of consecutive clusters from cur.cluster, as long as needed.
    uint32_t in = static_cast<uint32_t>((off + done) % cb);
    size_t need = len - done;
    uint32_t run = 1, last = cur.cluster;
    while (uint64_t(run) * cb - in < need) {
      uint32_t n = next_cluster(last);
      if (n != last + 1)
        break;
      last = n;
      run++;
    }
    size_t n = uint64_t(run) * cb - in < need ? size_t(uint64_t(run) * cb - in) : need;
    if (!bytes(cluster_offset(cur.cluster) + in, n, buf + done))
      return done ? long(done) : -EIO;
    done += n;
    // Move the cursor to the cluster the next byte is in.
    uint32_t target = static_cast<uint32_t>((off + done) / cb);
    uint32_t ahead = target - cur.index;
    if (ahead < run) {
      cur.cluster += ahead;
    } else {
      cur.cluster = next_cluster(last);
      if (!cur.cluster) {
        cur.index = 0;
        if (done < len)
          return long(done);        // the chain ended before the size did
        break;
      }
    }
    cur.index = target;
  }
  return long(done);
}

}  // namespace ukbase::fat
