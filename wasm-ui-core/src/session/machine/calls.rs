//! The tool round: a response's calls start in order (an edit waits for what is before it), each
//! gets one output, and when all have one the outputs go back to the model with the next request.
//! Plan updates and view_image are answered here; commands, edits and MCP calls in their modules.

use super::*;

impl Session {
    pub(super) fn output_item(&self, raw: &RawCall, output: String) -> Value {
        if raw.arguments.is_none() {
            crate::json_value!({"type": "custom_tool_call_output", "call_id": raw.call_id, "output": output})
        } else {
            crate::json_value!({"type": "function_call_output", "call_id": raw.call_id, "output": output})
        }
    }

    /// Starts calls in order: commands and plan updates run side by side; an edit waits for what is
    /// before it and holds back what is after it. When every call has an output, the next request goes.
    pub(super) fn advance(&mut self, out: &mut Vec<Effect>) {
        loop {
            let Some(turn) = self.turn.as_mut() else {
                return;
            };
            if turn.phase != Phase::Tools {
                return;
            }
            let outstanding = turn.calls[..turn.cursor].iter().any(|c| c.output.is_none());
            if turn.cursor == turn.calls.len() {
                if !outstanding {
                    self.finish_tool_round(out);
                }
                return;
            }
            let idx = turn.cursor;
            if turn.calls[idx].action.sequential() && outstanding {
                return;
            }
            turn.cursor += 1;
            turn.calls[idx].started = true;
            self.start_call(idx, out);
            let turn = self.turn.as_ref().unwrap();
            if turn.calls[idx].action.sequential() && turn.calls[idx].output.is_none() {
                return;
            }
        }
    }

    pub(super) fn finish_tool_round(&mut self, out: &mut Vec<Effect>) {
        let calls = std::mem::take(&mut self.turn.as_mut().unwrap().calls);
        for call in &calls {
            let output = call.output.clone().unwrap_or_default();
            self.push_history(self.output_item(&call.raw, output), out);
        }
        // Tool outputs are text: images the model asked to see follow as a user message.
        let images: Vec<Value> = calls
            .iter()
            .filter_map(|c| c.image.as_ref())
            .map(|url| crate::json_value!({"type": "input_image", "image_url": url}))
            .collect();
        if !images.is_empty() {
            self.push_history(
                crate::json_value!({"type": "message", "role": "user", "content": images}),
                out,
            );
        }
        self.send_request(out);
    }

    pub(super) fn call_index(&self, call_id: &str) -> Option<usize> {
        let turn = self.turn.as_ref()?;
        if turn.phase != Phase::Tools {
            return None;
        }
        turn.calls
            .iter()
            .position(|c| c.raw.call_id == call_id && c.output.is_none())
    }

    pub(super) fn call(&mut self, idx: usize) -> &mut Call {
        &mut self.turn.as_mut().unwrap().calls[idx]
    }

    /// Records a call's output; `handle` then advances (the next calls, or the next request).
    pub(super) fn finish_call(&mut self, idx: usize, output: String) {
        let call = self.call(idx);
        call.output = Some(output);
        call.waiting = None;
    }

    pub(super) fn start_call(&mut self, idx: usize, out: &mut Vec<Effect>) {
        let action = self.turn.as_ref().unwrap().calls[idx].action.clone();
        match action {
            Action::Invalid(message) => {
                self.show_error(message.clone(), out);
                self.finish_call(idx, message);
            }
            Action::ViewImage { path } => {
                let call = self.call(idx);
                call.waiting = Some(Waiting::Image);
                let call_id = call.raw.call_id.clone();
                out.push(Effect::ReadImage { call_id, path });
            }
            Action::Plan(update) => {
                let items: Vec<TodoItem> = update
                    .plan
                    .iter()
                    .map(|s| TodoItem {
                        text: s.step.clone(),
                        completed: s.status == plan::StepStatus::Completed,
                        status: s.status.as_str().to_string(),
                    })
                    .collect();
                let existing = self.turn.as_ref().unwrap().plan_item.clone();
                let id = match existing {
                    Some((id, _)) => {
                        updated(out, &id, items::todo_list(items.clone()));
                        id
                    }
                    None => {
                        let id = self.new_item_id();
                        started(out, &id, items::todo_list(items.clone()));
                        id
                    }
                };
                self.turn.as_mut().unwrap().plan_item = Some((id, items));
                self.finish_call(idx, "Plan updated".to_string());
            }
            Action::Exec { .. } => self.start_exec(idx, out),
            Action::Mcp(_) => self.start_mcp(idx, out),
            Action::WriteStdin {
                session,
                chars,
                yield_ms,
                ..
            } => {
                let Some(live) = self.live.get(&session) else {
                    let msg = format!("write_stdin failed: unknown session ID {session} (the command may have exited)");
                    self.finish_call(idx, msg);
                    return;
                };
                let exec_call_id = live.exec_call_id.clone();
                let call = self.call(idx);
                call.waiting = Some(Waiting::Exec { unsandboxed: false });
                let call_id = call.raw.call_id.clone();
                out.push(Effect::WriteStdin {
                    call_id,
                    exec_call_id,
                    chars,
                    yield_time_ms: yield_ms,
                });
            }
            Action::Patch { via_exec, .. }
                if self.edit_decision() == Decision::Refuse(approval::Refusal::ReadOnlyEdit) =>
            {
                let msg = self.patch_output(via_exec, READ_ONLY_PATCH, 1);
                self.show_error(READ_ONLY_PATCH.to_string(), out);
                self.finish_call(idx, msg);
            }
            Action::Patch { text, via_exec } => match patch::parse(&text) {
                Err(e) => {
                    let msg = format!("apply_patch verification failed: {e}");
                    let msg = self.patch_output(via_exec, &msg, 1);
                    self.finish_call(idx, msg);
                }
                Ok(parsed) => {
                    let paths = parsed.paths_to_read();
                    let call = self.call(idx);
                    call.waiting = Some(Waiting::Files(parsed));
                    let call_id = call.raw.call_id.clone();
                    out.push(Effect::ReadFiles { call_id, paths });
                }
            },
        }
    }

    pub(super) fn on_image_read(
        &mut self,
        call_id: &str,
        data_url: Option<String>,
        error: Option<String>,
    ) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let Action::ViewImage { path } = self.turn.as_ref().unwrap().calls[idx].action.clone()
        else {
            return;
        };
        let call = self.call(idx);
        match (data_url, error) {
            (Some(url), None) if url.starts_with("data:image/") => {
                call.image = Some(url);
                call.output = Some(format!("Image attached: {path}"));
            }
            (_, e) => {
                let reason = e.unwrap_or_else(|| "not an image".to_string());
                call.output = Some(format!("view_image failed for {path}: {reason}"));
            }
        }
        call.waiting = None;
    }
}
