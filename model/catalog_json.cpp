// The catalog as JSON: how a worker executable tells the driver which targets it holds.
#include "model/catalog_json.hpp"

#include <cstdio>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/scenario.hpp"

namespace threadmill {

using nlohmann::json;

const char* to_string(ParamType t) {
    switch (t) {
        case ParamType::integer: return "integer";
        case ParamType::number: return "number";
        case ParamType::boolean: return "boolean";
        case ParamType::duration: return "duration";
        case ParamType::string: return "string";
    }
    return "?";
}

namespace {

ParamType param_type_from(const std::string& s) {
    for (auto t : {ParamType::integer, ParamType::number, ParamType::boolean, ParamType::duration, ParamType::string}) {
        if (s == to_string(t)) return t;
    }
    throw std::runtime_error(fmt::format("unknown parameter type '{}'", s));
}

json value_to_json(const ParamValue& v) {
    return std::visit(
        [](const auto& x) -> json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Nanos>) {
                return x.count();
            } else {
                return x;
            }
        },
        v);
}

ParamValue value_from_json(ParamType t, const json& j) {
    switch (t) {
        case ParamType::integer: return j.get<std::int64_t>();
        case ParamType::number: return j.get<double>();
        case ParamType::boolean: return j.get<bool>();
        case ParamType::duration: return Nanos(j.get<std::int64_t>());
        case ParamType::string: return j.get<std::string>();
    }
    throw std::runtime_error("bad parameter type");
}

template <typename Spec>
json named(const std::vector<Spec>& items) {
    json a = json::array();
    for (const auto& i : items) {
        json e = {{"name", i.name}, {"help", i.help}};
        if constexpr (std::is_same_v<Spec, OpSpec>) {
            if (!i.args.empty()) e["args"] = i.args;
        }
        a.push_back(std::move(e));
    }
    return a;
}

template <typename Spec>
std::vector<Spec> named_from(const json& a) {
    std::vector<Spec> out;
    for (const auto& i : a) {
        Spec s;
        s.name = i.at("name").get<std::string>();
        s.help = i.value("help", "");
        if constexpr (std::is_same_v<Spec, OpSpec>) s.args = i.value("args", "");
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

std::string format_param_value(const ParamValue& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Nanos>) {
                return fmt::format("\"{}\"", format_duration(x));
            } else if constexpr (std::is_same_v<T, std::string>) {
                return fmt::format("\"{}\"", x);
            } else {
                return fmt::format("{}", x);
            }
        },
        v);
}

json catalog_to_json(const Catalog& catalog) {
    json targets = json::array();
    for (const auto& t : catalog.targets) {
        json variants = json::array();
        for (const auto& v : t.variants) variants.push_back({{"name", v.name}, {"help", v.help}, {"caught_by", v.caught_by}});
        json params = json::array();
        for (const auto& p : t.params) {
            params.push_back({{"name", p.name},
                              {"type", to_string(p.type)},
                              {"default", value_to_json(p.default_value)},
                              {"help", p.help},
                              {"min", p.min},
                              {"max", p.max},
                              {"choices", p.choices}});
        }
        targets.push_back({{"name", t.name},
                           {"description", t.description},
                           {"seed", t.seed},
                           {"model", t.model},
                           {"variants", variants},
                           {"ops", named(t.ops)},
                           {"params", params},
                           {"invariants", named(t.invariants)}});
        if (t.has_arbiter) targets.back()["arbiter"] = {{"help", t.arbiter_help}};
        // A model of the target's own: only its plain worker can check a history against it.
        if (t.own_model) targets.back()["own_model"] = {{"help", t.model_help}};
    }
    return json{{"threadmill_catalog", 1}, {"targets", targets}};
}

Catalog catalog_from_json(const json& j) {
    if (j.value("threadmill_catalog", 0) != 1) throw std::runtime_error("not a threadmill catalog (version 1)");
    Catalog c;
    for (const auto& t : j.at("targets")) {
        TargetInfo info;
        info.name = t.at("name").get<std::string>();
        info.description = t.value("description", "");
        info.seed = t.value("seed", "");
        info.model = t.value("model", "");
        for (const auto& v : t.at("variants")) {
            info.variants.push_back({v.at("name").get<std::string>(), v.value("help", ""), v.value("caught_by", "")});
        }
        info.ops = named_from<OpSpec>(t.at("ops"));
        info.invariants = named_from<InvariantSpec>(t.at("invariants"));
        if (const auto m = t.find("own_model"); m != t.end() && m->is_object()) {
            info.own_model = true;
            info.model_help = m->value("help", "");
        }
        if (const auto a = t.find("arbiter"); a != t.end() && a->is_object()) {
            info.has_arbiter = true;
            info.arbiter_help = a->value("help", "");
        }
        for (const auto& p : t.at("params")) {
            ParamSpec s;
            s.name = p.at("name").get<std::string>();
            s.type = param_type_from(p.at("type").get<std::string>());
            s.default_value = value_from_json(s.type, p.at("default"));
            s.help = p.value("help", "");
            s.min = p.value("min", s.min);
            s.max = p.value("max", s.max);
            s.choices = p.value("choices", std::vector<std::string>{});
            info.params.push_back(std::move(s));
        }
        c.targets.push_back(std::move(info));
    }
    return c;
}

}  // namespace threadmill
