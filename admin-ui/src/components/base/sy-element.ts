import { LitElement } from 'lit';

/** Base of every Switchyard element: `emit()` dispatches a composed, bubbling custom event. */
export class SyElement extends LitElement {
  emit<T = undefined>(name: string, detail?: T, init: Omit<CustomEventInit<T>, 'detail'> = {}): CustomEvent<T> {
    const ev = new CustomEvent<T>(name, { bubbles: true, composed: true, cancelable: false, ...init, detail: detail as T });
    this.dispatchEvent(ev);
    return ev;
  }
}
