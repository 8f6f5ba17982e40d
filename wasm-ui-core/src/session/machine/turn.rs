//! Turn driving: the person's input starts a turn, requests go to the model, the stream becomes
//! thread items, a cut-off response is answered, the context is compacted when full, and the turn
//! completes, fails or is interrupted.

use super::*;

pub(super) fn add_usage(total: &mut Usage, u: &Usage) {
    total.input_tokens += u.input_tokens;
    total.cached_input_tokens += u.cached_input_tokens;
    total.output_tokens += u.output_tokens;
    total.reasoning_output_tokens += u.reasoning_output_tokens;
}

/// The text of a `user` message the person typed (not one the harness wrote).
pub(super) fn user_typed(item: &Value) -> Option<&str> {
    if item["type"] != "message" || item["role"] != "user" {
        return None;
    }
    let text = item["content"][0]["text"].as_str()?;
    match prompt::harness::classify(text) {
        Some(_) => None,
        None => Some(text),
    }
}

impl Session {
    pub(super) fn on_user_input(
        &mut self,
        text: String,
        ctx: Option<EditorContext>,
        images: Vec<String>,
        out: &mut Vec<Effect>,
    ) {
        if self.turn.is_some() {
            self.show_error(
                "A turn is already running; wait for it or stop it first.".to_string(),
                out,
            );
            return;
        }
        if !self.thread_started {
            self.thread_started = true;
            emit(
                out,
                ThreadEvent::ThreadStarted {
                    thread_id: self.cfg.session_id.clone(),
                },
            );
        }
        if self.refuse_images(&images, out) {
            return;
        }
        if !self.persisted_initial {
            self.persisted_initial = true;
            out.push(Effect::Persist {
                record: SessionRecord::Meta {
                    config: Box::new(self.cfg.clone()),
                },
            });
            for item in self.history.iter().cloned() {
                out.push(Effect::Persist {
                    record: SessionRecord::Item { item },
                });
            }
        }
        emit(out, ThreadEvent::TurnStarted {});
        self.show_mcp_refusals(out);
        self.turn = Some(Turn {
            phase: Phase::Streaming,
            stream: ResponseStream::default(),
            stream_items: VecMap::new(),
            calls: vec![],
            cursor: 0,
            usage: Usage::default(),
            plan_item: None,
            responses: 0,
            last_message: None,
            continuations: 0,
        });
        if let Some(msg) = ctx.as_ref().and_then(prompt::editor_context_message) {
            self.push_history(msg, out);
        }
        self.push_history(media::user_message_with_images(&text, &images), out);
        self.send_request(out);
    }

    pub(super) fn compact_threshold(&self) -> Option<u64> {
        let window = self.cfg.context_window?;
        let pct = self.cfg.compact_percent.unwrap_or(90).clamp(1, 100) as u64;
        Some(window * pct / 100)
    }

    /// The request body for the history and, when compacting, one more message after it.
    pub(super) fn body(&self, extra: Option<&Value>) -> RequestBody {
        match self.cfg.wire {
            Wire::Responses => {
                let skeleton = self.request_skeleton.get_or_init(|| {
                    let mut body = prompt::responses_body(&self.cfg, self.family);
                    self.add_mcp_tools(&mut body);
                    self.adjust_tools(&mut body);
                    prompt::body::Skeleton::of(&body)
                });
                let extra = extra.map(|item| (item, prompt::body::sent_alone(item)));
                let extra = extra.iter().map(|(item, text)| prompt::body::Entry {
                    item,
                    text: text.as_deref(),
                });
                let history: Vec<_> = self.history.entries().chain(extra).collect();
                skeleton.with_input(&history, self.family != ToolFamily::Codex)
            }
            Wire::Chat => {
                let mut body = match extra {
                    Some(extra) => {
                        let mut history = self.history.to_vec();
                        history.push(extra.clone());
                        prompt::chat_body(&self.cfg, self.family, &history)
                    }
                    None => prompt::chat_body(&self.cfg, self.family, &self.history),
                };
                self.add_mcp_tools(&mut body);
                self.adjust_tools(&mut body);
                RequestBody::of(&body)
            }
        }
    }

    /// Sends the next request of the turn, compacting first when the context is nearly full.
    pub(super) fn send_request(&mut self, out: &mut Vec<Effect>) {
        let compact = self
            .compact_threshold()
            .is_some_and(|t| self.context_tokens >= t)
            && self.history.len() > self.initial_len + 1;
        let turn = self.turn.as_mut().expect("a turn is running");
        turn.stream = ResponseStream::default();
        turn.stream_items.clear();
        turn.calls.clear();
        turn.cursor = 0;
        let body = if compact {
            turn.phase = Phase::Compacting;
            self.body(Some(&prompt::user_message(prompt::COMPACT_PROMPT)))
        } else {
            turn.phase = Phase::Streaming;
            self.body(None)
        };
        out.push(Effect::ModelRequest {
            wire: self.cfg.wire,
            body,
        });
    }

    /// Ends the running turn because the model stream sent something the core will not take: the
    /// request is cancelled and the turn fails with `message`.
    pub fn reject_model_event(&mut self, message: &str) -> Vec<Effect> {
        let mut out = vec![];
        if self.turn.as_ref().is_some_and(|t| t.phase != Phase::Tools) {
            out.push(Effect::CancelModel);
            self.fail_turn(message.to_string(), &mut out);
        }
        out
    }

    pub(super) fn on_model_event(&mut self, data: &Value, out: &mut Vec<Effect>) {
        if crate::session::depth::value_exceeds(data, crate::session::depth::MAX_EVENT_DEPTH) {
            out.extend(self.reject_model_event(&too_deep_event_message()));
            return;
        }
        let wire = self.cfg.wire;
        let Some(turn) = self.turn.as_mut() else {
            return;
        };
        if turn.phase == Phase::Tools {
            return;
        }
        let compacting = turn.phase == Phase::Compacting;
        let ui = turn.stream.feed(wire, data);
        if compacting {
            return; // the summary is not shown as a message
        }
        self.stream_ui(ui, out);
    }

    pub(super) fn stream_ui(&mut self, ui: Vec<StreamUi>, out: &mut Vec<Effect>) {
        for u in ui {
            match u {
                StreamUi::Delta {
                    key,
                    reasoning,
                    delta,
                } => {
                    let existing = self
                        .turn
                        .as_ref()
                        .and_then(|t| t.stream_items.get(&key).cloned());
                    let id = match existing {
                        Some(existing) => existing.id,
                        None => {
                            let id = self.new_item_id();
                            started(out, &id, stream_details(reasoning, String::new()));
                            id
                        }
                    };
                    let turn = self.turn.as_mut().unwrap();
                    let entry = turn.stream_items.get_or_insert_with(key, || StreamItem {
                        id: id.clone(),
                        reasoning,
                        text: String::new(),
                    });
                    entry.text.push_str(&delta);
                    emit(out, ThreadEvent::ItemDelta { item_id: id, delta });
                }
                StreamUi::WebSearch { query } => self.show_web_search(query, out),
                StreamUi::Done {
                    key,
                    reasoning,
                    text,
                } => {
                    let existing = self
                        .turn
                        .as_ref()
                        .and_then(|t| t.stream_items.get(&key).cloned());
                    let id = match existing {
                        Some(existing) => existing.id,
                        None => self.new_item_id(),
                    };
                    if !reasoning {
                        self.turn.as_mut().unwrap().last_message = Some(text.clone());
                    }
                    completed(out, &id, stream_details(reasoning, text));
                }
            }
        }
    }

    pub(super) fn on_stream_restarted(&mut self, out: &mut Vec<Effect>) {
        let Some(turn) = self.turn.as_mut() else {
            return;
        };
        if turn.phase == Phase::Tools {
            return;
        }
        turn.stream = ResponseStream::default();
        // Items streamed so far restart empty; the retried stream fills them again.
        for stale in turn.stream_items.values_mut() {
            stale.text.clear();
            updated(
                out,
                &stale.id,
                stream_details(stale.reasoning, String::new()),
            );
        }
    }

    pub(super) fn on_stream_ended(&mut self, out: &mut Vec<Effect>) {
        let wire = self.cfg.wire;
        let Some(turn) = self.turn.as_mut() else {
            return;
        };
        if turn.phase == Phase::Tools {
            return;
        }
        if let Err(message) = turn.stream.accept_end(wire) {
            self.fail_turn(message, out);
            return;
        }
        let usage = turn.stream.usage.unwrap_or_default();
        add_usage(&mut turn.usage, &usage);
        turn.responses += 1;
        if turn.stream.usage.is_some() {
            self.context_tokens = usage.input_tokens + usage.output_tokens;
            emit(
                out,
                ThreadEvent::ContextUsage {
                    used_tokens: self.context_tokens,
                    window_tokens: self.cfg.context_window,
                },
            );
        }
        let turn = self.turn.as_mut().unwrap();
        if turn.phase == Phase::Compacting {
            let summary = turn.stream.text(wire);
            self.finish_compaction(summary, out);
            return;
        }
        if wire == Wire::Chat {
            let ui = turn.stream.chat_final_ui();
            self.stream_ui(ui, out);
        }
        let turn = self.turn.as_mut().unwrap();
        let prefix = format!("call_{}", turn.responses);
        // Servers that imitate the Responses API may say "completed" for a response the cap cut:
        // there, output that reached the cap counts as cut off. Chat's finish_reason is trusted.
        let cap = prompt::max_output_tokens(&self.cfg);
        let cut_off = turn.stream.cut_off.clone().or_else(|| {
            if wire != Wire::Responses {
                return None;
            }
            let out_tokens = turn.stream.usage.map(|u| u.output_tokens)?;
            cap.filter(|c| out_tokens >= *c)
                .map(|_| "max_output_tokens".to_string())
        });
        let (items, calls) = turn.stream.finish(wire, &prefix);
        for it in items {
            self.push_history(it, out);
        }
        if let Some(reason) = cut_off {
            self.on_cut_off(&reason, cap, calls, out);
            return;
        }
        if calls.is_empty() {
            self.complete_turn(out);
            return;
        }
        let actions: Vec<Call> = calls
            .into_iter()
            .map(|raw| {
                let action = self.classify(&raw);
                Call {
                    raw,
                    action,
                    started: false,
                    waiting: None,
                    output: None,
                    item_id: None,
                    shown_output: String::new(),
                    diffs: vec![],
                    image: None,
                }
            })
            .collect();
        let turn = self.turn.as_mut().unwrap();
        turn.phase = Phase::Tools;
        turn.calls = actions;
        turn.cursor = 0;
        self.advance(out);
    }

    /// A response cut short: its calls are answered without running them, the person is told, and
    /// the model is asked to go on, at most MAX_CUT_OFF_CONTINUATIONS times a turn.
    pub(super) fn on_cut_off(
        &mut self,
        reason: &str,
        cap: Option<u64>,
        calls: Vec<RawCall>,
        out: &mut Vec<Effect>,
    ) {
        let limit = match cap {
            Some(c) if reason == "max_output_tokens" || reason == "length" => {
                format!("the output limit of {c} tokens")
            }
            _ if reason == "max_output_tokens" => "the server's output limit".to_string(),
            _ => format!("the server ({reason})"),
        };
        let had_calls = !calls.is_empty();
        for raw in &calls {
            self.push_history(self.output_item(raw, CUT_OFF_OUTPUT.to_string()), out);
        }
        let turn = self.turn.as_mut().unwrap();
        let go_on = turn.continuations < MAX_CUT_OFF_CONTINUATIONS;
        let what = if had_calls {
            format!(
                "The model's response was cut off by {limit}; its {} tool call{} {} not run.",
                calls.len(),
                if calls.len() == 1 { "" } else { "s" },
                if calls.len() == 1 { "was" } else { "were" }
            )
        } else {
            format!("The model's response was cut off by {limit}.")
        };
        if go_on {
            turn.continuations += 1;
            self.show_error(format!("{what} Asking it to continue."), out);
            if !had_calls {
                self.push_history(prompt::user_message(CONTINUE_PROMPT), out);
            }
            self.send_request(out);
        } else {
            self.fail_turn(
                format!(
                    "{what} It was cut off {} times in this turn; raise the limit (tack.maxOutputTokens, --max-output-tokens) or ask for less at a time.",
                    MAX_CUT_OFF_CONTINUATIONS + 1
                ),
                out,
            );
        }
    }

    pub(super) fn finish_compaction(&mut self, summary: String, out: &mut Vec<Effect>) {
        if summary.trim().is_empty() {
            self.fail_turn(
                "compaction failed: the model returned no summary".to_string(),
                out,
            );
            return;
        }
        // Keep the most recent user messages that fit in a modest budget, oldest first.
        let mut recent: Vec<String> = vec![];
        let mut budget: usize = 20_000 * 4;
        for text in self.history.iter().rev().filter_map(user_typed) {
            if text.len() > budget {
                break;
            }
            budget -= text.len();
            recent.push(text.to_string());
        }
        recent.reverse();
        let mut items = prompt::initial_context(&self.cfg);
        self.initial_len = items.len();
        items.extend(recent.iter().map(|t| prompt::user_message(t)));
        items.push(prompt::user_message(&format!(
            "{}\n\n{}",
            prompt::SUMMARY_PREFIX,
            summary.trim()
        )));
        out.push(Effect::Persist {
            record: SessionRecord::Compacted {
                items: items.clone(),
            },
        });
        self.history = items.into();
        self.rewind.forget();
        self.context_tokens = 0;
        self.send_request(out);
    }

    pub(super) fn complete_turn(&mut self, out: &mut Vec<Effect>) {
        let turn = self.turn.take().expect("a turn is running");
        let event = ThreadEvent::TurnCompleted { usage: turn.usage };
        self.end_turn(&turn, event, TurnStatus::Completed, None, out);
    }

    /// The one way a turn ends, whatever ended it: the plan card closes, the thread event goes out,
    /// the end is persisted, the rewind points learn of it, and the host is told.
    fn end_turn(
        &mut self,
        turn: &Turn,
        event: ThreadEvent,
        status: TurnStatus,
        error: Option<String>,
        out: &mut Vec<Effect>,
    ) {
        self.close_plan(turn, out);
        emit(out, event);
        out.push(Effect::Persist {
            record: SessionRecord::TurnEnded {
                status,
                usage: turn.usage,
                error: error.clone(),
            },
        });
        // A Retry of a failed message is shown as the same message (session/rewind.rs).
        self.rewind
            .note_turn_ended(matches!(status, TurnStatus::Failed));
        out.push(Effect::TurnEnded {
            status,
            usage: turn.usage,
            error,
        });
    }

    pub(super) fn close_plan(&self, turn: &Turn, out: &mut Vec<Effect>) {
        if let Some((id, items)) = &turn.plan_item {
            completed(out, id, items::todo_list(items.clone()));
        }
    }

    pub(super) fn fail_turn(&mut self, message: String, out: &mut Vec<Effect>) {
        let Some(turn) = self.turn.take() else { return };
        let event = ThreadEvent::TurnFailed {
            error: ThreadError {
                message: message.clone(),
                reason: None,
            },
        };
        self.end_turn(&turn, event, TurnStatus::Failed, Some(message), out);
    }

    pub(super) fn interrupt(&mut self, out: &mut Vec<Effect>) {
        let Some(mut turn) = self.turn.take() else {
            return;
        };
        match turn.phase {
            Phase::Streaming | Phase::Compacting => out.push(Effect::CancelModel),
            Phase::Tools => {
                for call in turn.calls.iter_mut() {
                    if call.output.is_some() {
                        continue;
                    }
                    if matches!(call.waiting, Some(Waiting::Exec { .. })) {
                        out.push(Effect::KillExec {
                            call_id: call.raw.call_id.clone(),
                        });
                    }
                    if let Some(id) = &call.item_id {
                        let details = match &call.action {
                            Action::Patch { .. } => {
                                // The card keeps what was proposed; every undecided hunk is withdrawn.
                                let changes = match &call.waiting {
                                    Some(Waiting::Review(c)) | Some(Waiting::Apply(c)) => c.clone(),
                                    _ => vec![],
                                };
                                let diffs = if changes.is_empty() {
                                    vec![]
                                } else {
                                    call.diffs.clone()
                                };
                                let hunk_states = hunk_states(
                                    &changes,
                                    &diffs,
                                    &ChangeReview {
                                        files: vec![],
                                        reason: None,
                                    },
                                );
                                Some(items::file_change(
                                    &changes,
                                    FileChangeStatus::Declined,
                                    diffs,
                                    hunk_states,
                                ))
                            }
                            Action::Exec { command, .. } => Some(items::command(
                                command.clone(),
                                call.shown_output.clone(),
                                CommandState::Failed,
                            )),
                            Action::Mcp(plan) => Some(mcp_calls::interrupted_details(plan)),
                            _ => None,
                        };
                        if let Some(details) = details {
                            completed(out, id, details);
                        }
                    }
                    call.output = Some(ABORTED_OUTPUT.to_string());
                }
                for call in &turn.calls {
                    let output = call.output.clone().unwrap_or_default();
                    self.push_history(self.output_item(&call.raw, output), out);
                }
            }
        }
        // Commands left running for write_stdin stop with the turn.
        for (_, live) in std::mem::take(&mut self.live) {
            out.push(Effect::KillExec {
                call_id: live.exec_call_id.clone(),
            });
            completed(
                out,
                &live.item_id,
                items::command(live.command, live.shown_output, CommandState::Failed),
            );
        }
        self.push_history(prompt::user_message(TURN_ABORTED), out);
        let event = ThreadEvent::TurnFailed {
            error: ThreadError {
                message: "Turn interrupted by the user.".into(),
                reason: Some(TurnEndReason::Interrupted),
            },
        };
        self.end_turn(&turn, event, TurnStatus::Interrupted, None, out);
    }
}

/// The turn's error when a model event nests too deeply.
pub fn too_deep_event_message() -> String {
    format!(
        "the model server sent an event nested deeper than {} levels; the response was dropped",
        crate::session::depth::MAX_EVENT_DEPTH
    )
}
