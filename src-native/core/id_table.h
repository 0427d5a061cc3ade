// Small integer ids for endpoints, so JS holds numbers, not pointers, and a
// completion that names a closed endpoint finds nothing instead of freed memory.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace afdsock {

template <typename T>
class IdTable {
 public:
  // Ids start at 1; 0 is never valid.
  uint32_t Add(std::unique_ptr<T> item) {
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
      slots_[index] = std::move(item);
    } else {
      index = static_cast<uint32_t>(slots_.size());
      slots_.push_back(std::move(item));
    }
    return index + 1;
  }
  T* Get(uint32_t id) const {
    if (id == 0 || id > slots_.size()) return nullptr;
    return slots_[id - 1].get();
  }
  void Remove(uint32_t id) {
    if (Get(id) == nullptr) return;
    slots_[id - 1].reset();
    free_.push_back(id - 1);
  }
  template <typename F>
  void ForEach(F f) const {
    for (size_t i = 0; i < slots_.size(); i++)
      if (slots_[i]) f(static_cast<uint32_t>(i + 1), *slots_[i]);
  }
  size_t Count() const { return slots_.size() - free_.size(); }

 private:
  std::vector<std::unique_ptr<T>> slots_;
  std::vector<uint32_t> free_;
};

}  // namespace afdsock
