//! Detection rules compiled, per format, into predicate trees over the extractor's slots.

use std::collections::HashMap;

use rsigma_parser::{
    ConditionExpr, Detection, DetectionItem, Detections, Modifier, Quantifier, SelectorPattern,
};

use crate::extract::{Extractor, Scratch, SlotId, Value};
use crate::mapping::{Resolved, Target};
use crate::matcher::{compile_value, FieldId, FieldResolver, Pattern, Unsupported, ValueMatcher};

/// Everything compiled for one format: the extractor, the fields rules name, the rules.
#[derive(Debug)]
pub(crate) struct Program {
    pub extractor: Extractor,
    /// Each field's slots (a field is the union of its sources' values).
    fields: Vec<Vec<SlotId>>,
    pub rules: Vec<CompiledRule>,
    /// Which rules can match, by the value of one field most rules require.
    index: Option<RuleIndex>,
}

/// Most rules of a format require one field (Okta's `eventType`, CloudTrail's `eventName`)
/// to be one of a few values: indexing them by that value means a record is tested only
/// against the rules that could match it.
#[derive(Debug)]
struct RuleIndex {
    field: FieldId,
    /// Lower-cased value → positions in `rules`.
    by_value: HashMap<String, Vec<u32>>,
    /// Rules that require no value of `field`.
    always: Vec<u32>,
}

/// A detection rule compiled for one format.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    /// Index of the rule in the rule set.
    pub rule: usize,
    condition: Node,
    /// Fields whose values a match reports: those the rule tests, then those correlations
    /// group or aggregate by.
    pub fields: Vec<(String, FieldId)>,
}

#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    AtLeast(usize, Vec<Node>),
    Item(Item),
    Const(bool),
}

/// One detection item: a field, its values' alternatives, how the values combine.
#[derive(Debug)]
struct Item {
    field: FieldId,
    /// Outer: one entry per value written; inner: that value's alternatives (OR).
    values: Vec<Vec<ValueMatcher>>,
    /// `|all`: every value must match (otherwise any).
    all: bool,
    /// `|exists`: the field's presence is the test.
    exists: Option<bool>,
}

impl Program {
    pub fn new(extractor: Extractor) -> Program {
        Program {
            extractor,
            fields: Vec::new(),
            rules: Vec::new(),
            index: None,
        }
    }

    /// Indexes the rules by the field most of them require an exact value of (once all
    /// rules are compiled).
    pub fn build_index(&mut self) {
        let required: Vec<Vec<(FieldId, Vec<String>)>> = self
            .rules
            .iter()
            .map(|rule| required_values(&rule.condition))
            .collect();
        let mut counts: HashMap<FieldId, usize> = HashMap::new();
        for requirements in &required {
            let mut seen: Vec<FieldId> = requirements.iter().map(|(f, _)| *f).collect();
            seen.sort_unstable();
            seen.dedup();
            for field in seen {
                *counts.entry(field).or_default() += 1;
            }
        }
        let Some((field, count)) = counts
            .into_iter()
            .max_by_key(|&(f, c)| (c, std::cmp::Reverse(f)))
        else {
            self.index = None;
            return;
        };
        // One indexed rule saves little; it is worth it from a few on.
        if count < 2 {
            self.index = None;
            return;
        }
        let mut index = RuleIndex {
            field,
            by_value: HashMap::new(),
            always: Vec::new(),
        };
        for (position, requirements) in required.iter().enumerate() {
            match requirements.iter().find(|(f, _)| *f == field) {
                Some((_, values)) => {
                    for value in values {
                        let rules = index.by_value.entry(value.clone()).or_default();
                        if !rules.contains(&(position as u32)) {
                            rules.push(position as u32);
                        }
                    }
                }
                None => index.always.push(position as u32),
            }
        }
        self.index = Some(index);
    }

    /// The positions of the rules that can match the record in `scratch`, in rule order.
    pub fn candidates(&self, scratch: &Scratch, out: &mut Vec<u32>) {
        out.clear();
        let Some(index) = &self.index else {
            out.extend(0..self.rules.len() as u32);
            return;
        };
        out.extend_from_slice(&index.always);
        for &slot in self.field_slots(index.field) {
            for value in scratch.values(slot) {
                if let Some(rules) = index.by_value.get(scratch.lower(value)) {
                    out.extend_from_slice(rules);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    fn field_slots(&self, field: FieldId) -> &[SlotId] {
        &self.fields[field as usize]
    }

    /// The values of a field in the record last extracted into `scratch`.
    pub fn values(&self, field: FieldId, scratch: &Scratch) -> Vec<Value> {
        self.field_slots(field)
            .iter()
            .flat_map(|&slot| scratch.values(slot).iter().copied())
            .collect()
    }

    fn has_values(&self, field: FieldId, scratch: &Scratch) -> bool {
        self.field_slots(field)
            .iter()
            .any(|&slot| !scratch.values(slot).is_empty())
    }

    pub fn matches(&self, rule: &CompiledRule, scratch: &Scratch) -> bool {
        self.eval(&rule.condition, scratch)
    }

    fn eval(&self, node: &Node, scratch: &Scratch) -> bool {
        match node {
            Node::And(nodes) => nodes.iter().all(|n| self.eval(n, scratch)),
            Node::Or(nodes) => nodes.iter().any(|n| self.eval(n, scratch)),
            Node::Not(node) => !self.eval(node, scratch),
            Node::AtLeast(n, nodes) => {
                nodes
                    .iter()
                    .filter(|node| self.eval(node, scratch))
                    .take(*n)
                    .count()
                    >= *n
            }
            Node::Item(item) => self.eval_item(item, scratch),
            Node::Const(value) => *value,
        }
    }

    fn eval_item(&self, item: &Item, scratch: &Scratch) -> bool {
        if let Some(exists) = item.exists {
            return self.has_values(item.field, scratch) == exists;
        }
        let slots = self.field_slots(item.field);
        let other = |field: FieldId| self.values(field, scratch);
        let value_matches = |alternatives: &Vec<ValueMatcher>| {
            alternatives.iter().any(|matcher| {
                let mut any = false;
                for &slot in slots {
                    for value in scratch.values(slot) {
                        if matcher.matches(value, scratch, &other) {
                            return true;
                        }
                        any = true;
                    }
                }
                // `null` also matches a field that is not there at all.
                !any && matches!(matcher, ValueMatcher::Null)
            })
        };
        if item.all {
            item.values.iter().all(value_matches)
        } else {
            item.values.iter().any(value_matches)
        }
    }
}

/// The exact (case-insensitive) values a condition requires of fields: an item whose every
/// alternative is an exact string, alone or inside an `and`.
fn required_values(node: &Node) -> Vec<(FieldId, Vec<String>)> {
    match node {
        Node::And(children) => children.iter().flat_map(required_values).collect(),
        Node::Item(item) if item.exists.is_none() && !item.all => {
            let mut values = Vec::new();
            for alternatives in &item.values {
                for matcher in alternatives {
                    match matcher {
                        ValueMatcher::Text {
                            pattern: Pattern::Exact(text),
                            cased: false,
                        } => values.push(text.clone()),
                        _ => return Vec::new(),
                    }
                }
            }
            vec![(item.field, values)]
        }
        _ => Vec::new(),
    }
}

/// Compiles rules for one format (one [`Program`]) against one logsource mapping.
pub(crate) struct Compiler<'p, 'm> {
    program: &'p mut Program,
    target: Target<'m>,
    /// Field name → id, for this logsource.
    names: HashMap<String, FieldId>,
    /// Fields tested by the rule being compiled, in first-use order.
    used: Vec<(String, FieldId)>,
}

impl<'p, 'm> Compiler<'p, 'm> {
    pub fn new(program: &'p mut Program, target: Target<'m>) -> Self {
        Compiler {
            program,
            target,
            names: HashMap::new(),
            used: Vec::new(),
        }
    }

    /// Compiles a rule's detection (and the filters that apply to it) into the program.
    pub fn compile_rule(
        &mut self,
        rule: usize,
        detections: &Detections,
        filters: &[&Detections],
        captures: &[String],
    ) -> Result<(), Unsupported> {
        // A rule that fails half-way must not leave paths behind for every record to extract.
        let extractor = self.program.extractor.clone();
        let fields = self.program.fields.len();
        let names = self.names.clone();
        let result = self.try_compile_rule(rule, detections, filters, captures);
        if result.is_err() {
            self.program.extractor = extractor;
            self.program.fields.truncate(fields);
            self.names = names;
        }
        result
    }

    fn try_compile_rule(
        &mut self,
        rule: usize,
        detections: &Detections,
        filters: &[&Detections],
        captures: &[String],
    ) -> Result<(), Unsupported> {
        self.used.clear();
        let mut condition = self.condition(detections)?;
        if !filters.is_empty() {
            let mut all = vec![condition];
            for filter in filters {
                all.push(self.condition(filter)?);
            }
            condition = Node::And(all);
        }
        let mut fields = std::mem::take(&mut self.used);
        for name in captures {
            if fields.iter().any(|(n, _)| n == name) {
                continue;
            }
            let field = self.field(name)?;
            fields.push((name.clone(), field));
        }
        self.program.rules.push(CompiledRule {
            rule,
            condition,
            fields,
        });
        Ok(())
    }

    fn condition(&mut self, detections: &Detections) -> Result<Node, Unsupported> {
        let mut conditions = Vec::new();
        for condition in &detections.conditions {
            conditions.push(self.expr(condition, detections)?);
        }
        Ok(match conditions.len() {
            1 => conditions.pop().unwrap_or(Node::Const(false)),
            _ => Node::Or(conditions),
        })
    }

    fn expr(&mut self, expr: &ConditionExpr, detections: &Detections) -> Result<Node, Unsupported> {
        Ok(match expr {
            ConditionExpr::And(parts) => Node::And(
                parts
                    .iter()
                    .map(|p| self.expr(p, detections))
                    .collect::<Result<_, _>>()?,
            ),
            ConditionExpr::Or(parts) => Node::Or(
                parts
                    .iter()
                    .map(|p| self.expr(p, detections))
                    .collect::<Result<_, _>>()?,
            ),
            ConditionExpr::Not(part) => Node::Not(Box::new(self.expr(part, detections)?)),
            ConditionExpr::Identifier(name) => {
                let detection = detections.named.get(name).ok_or_else(|| {
                    format!("the condition names `{name}`, which is not a detection of the rule")
                })?;
                self.detection(detection)?
            }
            ConditionExpr::Selector {
                quantifier,
                pattern,
            } => {
                let mut names: Vec<&String> = detections
                    .named
                    .keys()
                    .filter(|name| pattern.matches_detection_name(name))
                    .collect();
                names.sort();
                if names.is_empty() {
                    let shown = match pattern {
                        SelectorPattern::Them => "them".to_owned(),
                        SelectorPattern::Pattern(p) => p.clone(),
                    };
                    return Err(format!("`{quantifier} of {shown}` selects no detection"));
                }
                let nodes = names
                    .into_iter()
                    .map(|name| self.detection(&detections.named[name]))
                    .collect::<Result<Vec<_>, _>>()?;
                match quantifier {
                    Quantifier::Any => Node::Or(nodes),
                    Quantifier::All => Node::And(nodes),
                    Quantifier::Count(n) => Node::AtLeast(*n as usize, nodes),
                }
            }
        })
    }

    fn detection(&mut self, detection: &Detection) -> Result<Node, Unsupported> {
        Ok(match detection {
            Detection::AllOf(items) => Node::And(
                items
                    .iter()
                    .map(|item| self.item(item))
                    .collect::<Result<_, _>>()?,
            ),
            Detection::AnyOf(parts) => Node::Or(
                parts
                    .iter()
                    .map(|part| self.detection(part))
                    .collect::<Result<_, _>>()?,
            ),
            Detection::And(parts) => Node::And(
                parts
                    .iter()
                    .map(|part| self.detection(part))
                    .collect::<Result<_, _>>()?,
            ),
            Detection::Keywords(values) => self.item(&DetectionItem {
                field: rsigma_parser::FieldSpec::new(None, vec![Modifier::Contains]),
                values: values.clone(),
            })?,
            Detection::ArrayMatch { .. } | Detection::Conditional { .. } => {
                return Err(
                    "array object-scope blocks (`field[any]:`) are not supported yet".into(),
                )
            }
        })
    }

    fn item(&mut self, item: &DetectionItem) -> Result<Node, Unsupported> {
        let modifiers = &item.field.modifiers;
        let field = match &item.field.name {
            Some(name) => {
                let name = rsigma_parser::fieldpath::unescape_brackets(name);
                let field = self.field(&name)?;
                if !self.used.iter().any(|(n, _)| *n == *name) {
                    self.used.push((name.into_owned(), field));
                }
                field
            }
            None => self.keywords(),
        };
        if modifiers.contains(&Modifier::Exists) {
            let exists = match item.values.as_slice() {
                [rsigma_parser::SigmaValue::Bool(b)] => *b,
                _ => return Err("`|exists` takes true or false".into()),
            };
            return Ok(Node::Item(Item {
                field,
                values: Vec::new(),
                all: false,
                exists: Some(exists),
            }));
        }
        // Keyword lists are searched as substrings, as full-text search does.
        let keyword_modifiers;
        let modifiers: &[Modifier] = if item.field.name.is_none()
            && !modifiers.iter().any(|m| {
                matches!(
                    m,
                    Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith | Modifier::Re
                )
            }) {
            keyword_modifiers = [modifiers.as_slice(), &[Modifier::Contains]].concat();
            &keyword_modifiers
        } else {
            modifiers
        };
        let mut values = Vec::with_capacity(item.values.len());
        for value in &item.values {
            values.push(compile_value(value, modifiers, self)?);
        }
        if values.is_empty() {
            return Err("a detection item without values".into());
        }
        Ok(Node::Item(Item {
            field,
            values,
            all: modifiers.contains(&Modifier::All),
            exists: None,
        }))
    }

    fn keywords(&mut self) -> FieldId {
        let key = "\u{0}keywords".to_owned();
        if let Some(&id) = self.names.get(&key) {
            return id;
        }
        let slots = self
            .target
            .mapping
            .keywords
            .iter()
            .map(|source| self.program.extractor.slot(source))
            .collect();
        let id = self.add_field(slots);
        self.names.insert(key, id);
        id
    }

    fn add_field(&mut self, slots: Vec<SlotId>) -> FieldId {
        if let Some(existing) = self.program.fields.iter().position(|f| *f == slots) {
            return existing as FieldId;
        }
        self.program.fields.push(slots);
        (self.program.fields.len() - 1) as FieldId
    }
}

impl FieldResolver for Compiler<'_, '_> {
    fn field(&mut self, name: &str) -> Result<FieldId, Unsupported> {
        if let Some(&id) = self.names.get(name) {
            return Ok(id);
        }
        let sources = match self.target.resolve(name) {
            Resolved::Sources(sources) => sources,
            Resolved::Unsupported(reason) => return Err(format!("field `{name}`: {reason}")),
        };
        let slots = sources
            .iter()
            .map(|source| self.program.extractor.slot(source))
            .collect();
        let id = self.add_field(slots);
        self.names.insert(name.to_owned(), id);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{KeyCase, Mappings};
    use rsigma_parser::LogSource;

    fn detections(yaml: &str) -> Detections {
        let collection = rsigma_parser::parse_sigma_yaml(yaml).unwrap();
        collection.rules[0].detection.clone()
    }

    #[test]
    fn a_rule_that_fails_leaves_nothing_to_extract() {
        let mappings = Mappings::builtin();
        let logsource = LogSource {
            product: Some("azure".into()),
            service: Some("signinlogs".into()),
            ..LogSource::default()
        };
        let target = mappings.targets(&logsource).unwrap()[0];
        let mut program = Program::new(Extractor::new(KeyCase::AsciiCaseInsensitive, false));
        let good = detections(
            "title: t\nlogsource: {product: azure}\ndetection:\n  sel:\n    ResultType: 0\n  condition: sel\n",
        );
        Compiler::new(&mut program, target)
            .compile_rule(0, &good, &[], &[])
            .unwrap();
        let slots = program.extractor.slot_count();
        assert_eq!(
            slots, 3,
            "status.errorCode, properties.status.errorCode, resultType"
        );

        // `userAgent` resolves, then `properties.message` is unsupported.
        let bad = detections(
            "title: t\nlogsource: {product: azure}\ndetection:\n  sel:\n    userAgent: x\n    properties.message: ROPC\n  condition: sel\n",
        );
        let error = Compiler::new(&mut program, target)
            .compile_rule(1, &bad, &[], &[])
            .unwrap_err();
        assert!(error.contains("properties.message"), "{error}");
        assert_eq!(program.extractor.slot_count(), slots);
        assert_eq!(program.rules.len(), 1);
    }
}
